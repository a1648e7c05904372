// `--network` values.
#pragma once

#include <string>
#include <vector>

namespace skiff::net {

// The stored mode for a --network value: private (also "bridge", Docker's
// default name, and ""), pasta, slirp4netns, none, host, ns:PATH,
// container:NAME, or "networks" for the name of a user-defined network.
// Unsupported values throw with what is missing.
std::string parse_network_mode(const std::string& value);

// All --network flags: one mode, or several user-defined network names.
struct NetworkChoice {
    std::string mode;
    std::vector<std::string> names;  // mode "networks"
};
NetworkChoice parse_network_flags(const std::vector<std::string>& values);
// Modes whose network the container owns and a helper provides.
bool is_private_mode(const std::string& mode);
// Modes with a network namespace of the container's own that ports can reach.
bool has_own_ports(const std::string& mode);
// -p and --expose values are valid, and the mode can publish them.
void check_port_flags(const std::string& mode, const std::vector<std::string>& publish,
                      const std::vector<std::string>& expose);

}  // namespace skiff::net
