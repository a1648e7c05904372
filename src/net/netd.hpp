// skiff's network daemon: one per user (rootless) or per store (root),
// alive while a running container is on a user-defined network. It lives
// where the bridges are — rootless, in a network namespace of its own
// joined to the host by pasta or slirp4netns (Podman's rootless-netns);
// as root, in the host's — and it owns what the containers share there:
// the bridges and their addresses, the nftables table, the DNS responder
// on each gateway, and the forwarders of published ports. Containers
// register through its socket ("add ID" with the listening sockets of
// their ports, "del ID"); their veth pairs are made by their monitors.
#pragma once

#include <string>

namespace skiff::net {

struct NetdOptions {
    std::string dir;     // NetdFiles
    std::string helper;  // rootless: pasta or slirp4netns; "" as root
    bool rootless = false;
    int ready_fd = -1;  // "ok" or an error line, then closed
};

// Runs until no container has been left for two seconds; returns the exit status.
int run_netd(const NetdOptions& o);

// A network's bridge, as the daemon and the monitors name it (Docker's form).
std::string bridge_name(const std::string& network_id);

}  // namespace skiff::net
