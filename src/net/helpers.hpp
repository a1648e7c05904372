// The command lines of the user-mode network helpers and what they give
// the container (pasta.cpp, slirp.cpp).
#pragma once

#include <string>
#include <vector>

#include "net/ports.hpp"

namespace skiff::net {

// The address the container sends DNS queries to when the host's resolver
// is on its loopback; pasta forwards it to the host's resolver (as Podman).
inline constexpr const char* kPastaDnsForward = "169.254.1.1";

std::vector<std::string> pasta_argv(const std::string& netns, const std::vector<PortMapping>& ports,
                                    const std::string& pid_file);
// The host's default-route interface address and gateway: pasta copies
// them into the namespace, and maps the gateway to the host.
void pasta_host_route(std::string& ip, std::string& gateway);

std::vector<std::string> slirp_argv(const std::string& netns, int ready_fd, int exit_fd, const std::string& api_socket);
// Asks a running slirp4netns to forward these ports (its API socket).
void slirp_add_ports(const std::string& api_socket, const std::vector<PortMapping>& ports);

}  // namespace skiff::net
