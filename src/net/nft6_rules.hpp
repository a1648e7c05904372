// The IPv6 half of the user-defined networks' packet filter: table `ip6
// <table>` beside nft_rules.hpp's `ip <table>`, for the dual-stack
// networks (network create --ipv6), replaced and deleted with it.
#pragma once

#include <string>
#include <vector>

namespace skiff::net {

struct Bridge6Rules {
    std::string bridge;  // interface name
    std::string subnet;  // IPv6 CIDR
    bool internal = false;
};

// Masquerade of what leaves a subnet (not for --internal networks, which
// reach only their DNS responder), no traffic between two different
// networks. An empty list deletes the table.
std::string nft6_script(const std::string& table, const std::vector<Bridge6Rules>& bridges);

}  // namespace skiff::net
