#include "net/cidr6.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <random>

#include "util/error.hpp"

namespace skiff::net {

namespace {

Ipv6Addr masked(const Ipv6Addr& ip, int prefix) {
    Ipv6Addr out{};
    for (int i = 0; i < 16; ++i) {
        int bits = std::clamp(prefix - i * 8, 0, 8);
        out[i] = static_cast<uint8_t>(ip[i] & (bits == 0 ? 0 : 0xff << (8 - bits)));
    }
    return out;
}

// ip + 1; false when it wrapped around.
bool increment(Ipv6Addr& ip) {
    for (int i = 15; i >= 0; --i)
        if (++ip[i] != 0) return true;
    return false;
}

}  // namespace

bool Ipv6Net::contains(const Ipv6Addr& ip) const { return masked(ip, prefix) == addr; }

Ipv6Addr Ipv6Net::last() const {
    Ipv6Addr out = addr;
    for (int i = 0; i < 16; ++i) {
        int bits = std::clamp(prefix - i * 8, 0, 8);
        out[i] = static_cast<uint8_t>(out[i] | (bits == 8 ? 0 : 0xff >> bits));
    }
    return out;
}

std::optional<Ipv6Addr> parse_ipv6(const std::string& s) {
    Ipv6Addr a{};
    if (inet_pton(AF_INET6, s.c_str(), a.data()) != 1) return std::nullopt;
    return a;
}

std::string ipv6_string(const Ipv6Addr& ip) {
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
}

bool is_ipv6_text(const std::string& s) { return s.find(':') != std::string::npos; }

Ipv6Net parse_cidr6(const std::string& s) {
    auto slash = s.find('/');
    if (slash == std::string::npos) throw Error("invalid subnet \"" + s + "\": expected ADDRESS/PREFIX");
    auto ip = parse_ipv6(s.substr(0, slash));
    std::string p = s.substr(slash + 1);
    if (!ip || p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos)
        throw Error("invalid subnet \"" + s + "\": expected ADDRESS/PREFIX");
    int prefix = std::stoi(p);
    if (prefix < 8 || prefix > 126) throw Error("invalid subnet \"" + s + "\": the IPv6 prefix must be 8-126");
    Ipv6Net n{masked(*ip, prefix), prefix};
    if (n.addr != *ip)
        throw Error("invalid subnet \"" + s + "\": host bits are set (did you mean " + ipv6_string(n.addr) + "/" + p +
                    "?)");
    return n;
}

std::string cidr6_string(const Ipv6Net& n) { return ipv6_string(n.addr) + "/" + std::to_string(n.prefix); }

Ipv6Net random_ula_subnet(const std::vector<Ipv6Net>& used) {
    std::random_device rd;
    for (int tries = 0; tries < 100; ++tries) {
        Ipv6Net cand;
        cand.prefix = 64;
        cand.addr[0] = 0xfd;
        for (int i = 1; i < 8; ++i) cand.addr[i] = static_cast<uint8_t>(rd());
        bool taken = false;
        for (auto& u : used) taken |= u.overlaps(cand);
        if (!taken) return cand;
    }
    throw Error("no free IPv6 subnet found in fd00::/8: give one with --subnet");
}

Ipv6Addr default_gateway6(const Ipv6Net& n) {
    Ipv6Addr g = n.addr;
    increment(g);
    return g;
}

AddressPool6 pool6_of(const std::string& subnet, const std::string& ip_range, const std::string& gateway) {
    AddressPool6 p;
    p.subnet = parse_cidr6(subnet);
    p.range = ip_range.empty() ? p.subnet : parse_cidr6(ip_range);
    auto gw = parse_ipv6(gateway);
    p.gateway = gw ? *gw : default_gateway6(p.subnet);
    return p;
}

Ipv6Addr next_free_address6(const AddressPool6& p, const std::set<Ipv6Addr>& used, const std::string& network_name) {
    Ipv6Addr ip = p.range.addr;
    Ipv6Addr last = p.range.last();
    // Far more than any network holds: a /64 never runs out, and the walk
    // stays short.
    for (int n = 0; n < (1 << 20); ++n) {
        if (ip != p.subnet.addr && ip != p.gateway && p.subnet.contains(ip) && !used.count(ip)) return ip;
        if (ip == last || !increment(ip)) break;
    }
    throw Error("network " + network_name + " has no free IPv6 address left in " + cidr6_string(p.range));
}

Ipv6Addr check_requested_address6(const AddressPool6& p, const std::string& ip, const std::set<Ipv6Addr>& used,
                                  const std::string& network_name) {
    auto a = parse_ipv6(ip);
    if (!a) throw Error("invalid --ip6 \"" + ip + "\": not an IPv6 address");
    if (!p.subnet.contains(*a) || *a == p.subnet.addr)
        throw Error("--ip6 " + ip + " is not a host address of network " + network_name + " (" +
                    cidr6_string(p.subnet) + ")");
    if (*a == p.gateway) throw Error("--ip6 " + ip + " is the gateway of network " + network_name);
    if (used.count(*a)) throw Error("--ip6 " + ip + " is already in use on network " + network_name);
    return *a;
}

}  // namespace skiff::net
