// IPv4 addresses and subnets for user-defined networks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace skiff::net {

struct Ipv4Net {
    uint32_t addr = 0;  // host order, masked to the prefix
    int prefix = 0;
    uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
    uint32_t first() const { return addr; }
    uint32_t last() const { return addr | ~mask(); }
    bool contains(uint32_t ip) const { return (ip & mask()) == addr; }
    bool overlaps(const Ipv4Net& o) const { return contains(o.addr) || o.contains(addr); }
    bool operator==(const Ipv4Net&) const = default;
};

std::optional<uint32_t> parse_ipv4(const std::string& s);
std::string ipv4_string(uint32_t ip);
// "10.89.0.0/24"; host bits set are an error, as Docker reports them.
Ipv4Net parse_cidr(const std::string& s);
std::string cidr_string(const Ipv4Net& n);
// The first 10.89.N.0/24 that overlaps none of `used` (Podman's range),
// else the first /24 of 172.16.0.0/12 (Docker's).
Ipv4Net next_free_subnet(const std::vector<Ipv4Net>& used);
// The subnet of root's default network: Docker's 172.17.0.0/16 unless a
// network or a host route has it, then 172.18–31, then Podman's 10.88.0.0/16.
Ipv4Net default_bridge_subnet(const std::vector<Ipv4Net>& taken);
struct HostRoute {
    std::string iface;
    Ipv4Net destination;
};
// The routes of /proc/net/route's text, default routes left out.
std::vector<HostRoute> parse_proc_net_route(const std::string& text);
// The subnet's first host address.
uint32_t default_gateway(const Ipv4Net& n);

}  // namespace skiff::net
