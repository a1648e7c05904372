// A container's side of user-defined networks: per network a veth pair
// with one end on the network's bridge (in the daemon's namespace) and the
// other, eth0, eth1…, in the container's namespace with its address; the
// default route via the first network's gateway.
#pragma once

#include <string>
#include <vector>

#include "util/json.hpp"

namespace skiff::net {

struct BridgePort {
    std::string network_id, bridge, ifname, ip, mac, gateway;
    int prefix = 24;
    bool internal = false;  // no default route through it
    // The responder on the gateway answers container names (false on the
    // default network, which only forwards, as Docker's bridge has no names).
    bool dns_names = true;
    // Dual-stack networks: the IPv6 address and gateway ("" = none).
    std::string ip6, gateway6;
    int prefix6 = 64;
};

// One entry of a netd record's "networks".
BridgePort bridge_port_from_json(const Json& n);

// `bridges_netns`: the namespace of the bridges (/proc/PID/ns/net of the
// daemon). Rootless it runs in a short child: the caller could enter the
// daemon's namespace but never come back to the host's.
// `userns`: a user namespace to enter first ("" = none): a command outside
// the rootless namespace plugging a running container in (network connect).
void plug_container(const std::string& bridges_netns, const std::string& container_netns,
                    const std::string& container_id, const std::vector<BridgePort>& ports,
                    const std::string& userns = "");
// Deletes the host ends (the container's ends go with them); missing is fine.
void unplug_container(const std::string& bridges_netns, const std::string& container_id,
                      const std::vector<BridgePort>& ports, const std::string& userns = "") noexcept;

// The host end's name: stable for a container on a network, 15 bytes at most.
std::string host_veth_name(const std::string& container_id, const std::string& network_id);

}  // namespace skiff::net
