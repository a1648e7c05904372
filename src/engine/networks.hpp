// User-defined networks: records, subnets, inspect, removal (the
// containers' side is in network_attach.hpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "net/network_records.hpp"
#include "util/json.hpp"

namespace skiff::engine {

// Root's default network, Docker's name for it (rootless, the default is
// pasta or slirp4netns per container).
inline constexpr const char* kDefaultNetwork = "bridge";

struct NetworkCreateRequest {
    std::string name;  // "" = generated
    std::string driver = "bridge";
    std::vector<std::string> subnets, gateways, ip_ranges;
    bool internal = false, ipv6 = false, ignore = false;
    std::map<std::string, std::string> labels;
};

// Root's default network was given a free subnet when made; the host may
// route it since (Docker's docker0, a VPN). While no container has an
// address on it, it moves to a free one.
void move_default_network_if_routed(Engine& e);

net::Network create_network(Engine& e, const NetworkCreateRequest& r);
net::Network find_network(Engine& e, const std::string& ref);  // NotFound
std::vector<net::Network> all_networks(Engine& e);
// Rows for `network ls` (ID, Name, Driver, Labels…), filtered: name=, id=,
// driver=, label=KEY[=VALUE].
std::vector<Json> list_networks(Engine& e, const std::vector<std::string>& filters);
Json inspect_network(Engine& e, const net::Network& n);
// In use (a container's --network names it) is an error without force.
void remove_network(Engine& e, const std::string& ref, bool force);
// Unused networks; filters until=, label=, label!=.
std::vector<std::string> prune_networks(Engine& e, const std::vector<std::string>& filters = {});

}  // namespace skiff::engine
