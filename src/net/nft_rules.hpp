// The packet filter rules of user-defined networks, as one nftables table
// that is replaced whole (in one nft transaction) whenever the networks in
// use change, and deleted when none is left.
#pragma once

#include <string>
#include <vector>

namespace skiff::net {

struct BridgeRules {
    std::string bridge;  // interface name
    std::string subnet;  // CIDR
    bool internal = false;
};

// The nft script that replaces table `ip <table>` with rules for these
// bridges: masquerade of traffic leaving a subnet (not for --internal
// networks, which get no way out at all), and no traffic between two
// different networks. An empty list deletes the table.
std::string nft_script(const std::string& table, const std::vector<BridgeRules>& bridges);

// Runs the script with `nft -f -` in the caller's network namespace.
void apply_nft(const std::string& script);

}  // namespace skiff::net
