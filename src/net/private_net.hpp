// A container's private network: its own network namespace, joined to the
// host by a user-mode helper (pasta, or slirp4netns) that also publishes
// its ports. Made by the monitor before the container runs, in the
// monitor's user and mount namespaces.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "net/ports.hpp"
#include "util/fd.hpp"

namespace skiff::net {

// "pasta" or "slirp4netns" for a --network mode (private, pasta,
// slirp4netns) and the configured helper ("" = pasta, then slirp4netns).
// Throws when the helper is not installed.
std::string choose_helper(const std::string& mode, const std::string& configured);

// What the container sees of a helper's network.
struct HelperAddresses {
    std::string ip;           // the container's address
    std::string gateway;      // the host, as the container reaches it
    std::string dns_forward;  // queries sent here reach the host's resolver
};
HelperAddresses helper_addresses(const std::string& helper);

class PrivateNetwork {
public:
    // `dir`: a run dir of the container's for the netns file, pid and ports.
    PrivateNetwork(std::string helper, std::string dir);
    ~PrivateNetwork();
    PrivateNetwork(const PrivateNetwork&) = delete;
    PrivateNetwork& operator=(const PrivateNetwork&) = delete;

    const std::string& helper() const { return helper_; }
    std::string netns_path() const { return dir_ + "/netns"; }
    // Makes the namespace and starts the helper for these ports (host
    // ports already assigned); wait_ready() returns once it serves.
    void start(const std::vector<PortMapping>& ports);
    void wait_ready();
    bool started() const { return helper_pid_ > 0 || ready_; }
    // Stops the helper and releases the namespace (idempotent).
    void stop() noexcept;
    // The monitor resumed (ContainerNetwork::resume): pasta's daemon runs,
    // recorded in the pid file, with these ports.
    void resume(std::vector<PortMapping> ports) {
        ports_ = std::move(ports);
        ready_ = true;
    }
    // Waits for the helpers stop() killed.
    void reap() noexcept;

private:
    std::string helper_, dir_;
    std::vector<PortMapping> ports_;
    pid_t helper_pid_ = -1;  // the process we spawned (pasta: its parent, which daemonizes)
    bool ready_ = false;
    UniqueFd ready_fd_, exit_fd_;  // slirp4netns
    std::vector<pid_t> dying_;
};

// The ports a running container published (its run dir's record), empty
// when none or not running.
std::vector<PortMapping> published_ports(const std::string& dir);

// After the monitor died without cleaning up (kill -9): stops the helper it
// left and forgets the ports. Safe to call for any container.
void reap_orphan_network(const std::string& dir);

}  // namespace skiff::net
