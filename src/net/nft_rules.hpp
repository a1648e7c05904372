// The packet filter rules of user-defined networks, as one nftables table
// that is replaced whole (in one nft transaction) whenever the networks in
// use change, and deleted when none is left.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skiff::net {

struct BridgeRules {
    std::string bridge;  // interface name
    std::string subnet;  // CIDR
    bool internal = false;
};

// A published port, forwarded by the kernel (root only): clients of other
// hosts keep their source address, the host's own are masqueraded to the
// gateway (a loopback source cannot cross a bridge).
struct DnatRule {
    std::string proto;    // tcp | udp
    std::string host_ip;  // "" = every local address
    uint16_t host_port = 0;
    std::string target_ip;
    uint16_t target_port = 0;
};

// The nft script that replaces table `ip <table>` with rules for these
// bridges: masquerade of traffic leaving a subnet (not for --internal
// networks, which get no way out at all), no traffic between two
// different networks, and the published ports' DNAT. An empty list of
// bridges deletes the table. A non-zero relay_mark marks the packets
// bound to the port relay's transparent sockets (PortRelay::set_transparent),
// which policy routing then delivers locally.
std::string nft_script(const std::string& table, const std::vector<BridgeRules>& bridges,
                       const std::vector<DnatRule>& dnat = {}, uint32_t relay_mark = 0);

// Runs the script with `nft -f -` in the caller's network namespace.
void apply_nft(const std::string& script);

}  // namespace skiff::net
