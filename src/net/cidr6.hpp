// IPv6 addresses and subnets for dual-stack user-defined networks
// (network create --ipv6).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace skiff::net {

using Ipv6Addr = std::array<uint8_t, 16>;  // network byte order

struct Ipv6Net {
    Ipv6Addr addr{};  // masked to the prefix
    int prefix = 0;
    bool contains(const Ipv6Addr& ip) const;
    bool overlaps(const Ipv6Net& o) const { return contains(o.addr) || o.contains(addr); }
    Ipv6Addr last() const;
    bool operator==(const Ipv6Net&) const = default;
};

std::optional<Ipv6Addr> parse_ipv6(const std::string& s);
// The canonical (RFC 5952) form, as inet_ntop writes it.
std::string ipv6_string(const Ipv6Addr& ip);
bool is_ipv6_text(const std::string& s);  // has a ':' (what --subnet/--gateway values mean)
// "fd00:1:2:3::/64"; host bits set are an error, as for IPv4.
Ipv6Net parse_cidr6(const std::string& s);
std::string cidr6_string(const Ipv6Net& n);
// A random fdXX:XXXX:XXXX:XXXX::/64 (a ULA, as Podman picks) that overlaps
// none of `used`.
Ipv6Net random_ula_subnet(const std::vector<Ipv6Net>& used);
// The subnet's first host address (::1 of a /64).
Ipv6Addr default_gateway6(const Ipv6Net& n);

// Addresses of a network: the lowest free one of `range` that is neither
// the subnet's own address (the subnet-router anycast), the gateway nor
// taken; a requested one is checked the same way. Both throw what is wrong.
struct AddressPool6 {
    Ipv6Net subnet, range;
    Ipv6Addr gateway{};
};
AddressPool6 pool6_of(const std::string& subnet, const std::string& ip_range, const std::string& gateway);
Ipv6Addr next_free_address6(const AddressPool6& pool, const std::set<Ipv6Addr>& used, const std::string& network_name);
Ipv6Addr check_requested_address6(const AddressPool6& pool, const std::string& ip, const std::set<Ipv6Addr>& used,
                                  const std::string& network_name);

}  // namespace skiff::net
