#include "net/cidr.hpp"

#include <arpa/inet.h>

#include <cstdlib>
#include <sstream>

#include "util/error.hpp"

namespace skiff::net {

std::optional<uint32_t> parse_ipv4(const std::string& s) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
    return ntohl(a.s_addr);
}

std::string ipv4_string(uint32_t ip) {
    in_addr a{htonl(ip)};
    char buf[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, &a, buf, sizeof buf);
}

Ipv4Net parse_cidr(const std::string& s) {
    auto slash = s.find('/');
    if (slash == std::string::npos) throw Error("invalid subnet \"" + s + "\": expected ADDRESS/PREFIX");
    auto ip = parse_ipv4(s.substr(0, slash));
    std::string p = s.substr(slash + 1);
    if (s.find(':') != std::string::npos)
        throw Error("invalid subnet \"" + s + "\": an IPv6 subnet where an IPv4 one is needed");
    if (!ip || p.empty() || p.size() > 2 || p.find_first_not_of("0123456789") != std::string::npos)
        throw Error("invalid subnet \"" + s + "\": expected ADDRESS/PREFIX");
    int prefix = std::stoi(p);
    if (prefix < 1 || prefix > 30) throw Error("invalid subnet \"" + s + "\": the prefix must be 1-30");
    Ipv4Net n{*ip, prefix};
    if ((*ip & n.mask()) != *ip)
        throw Error("invalid subnet \"" + s + "\": host bits are set (did you mean " +
                    ipv4_string(*ip & n.mask()) + "/" + p + "?)");
    return n;
}

std::string cidr_string(const Ipv4Net& n) { return ipv4_string(n.addr) + "/" + std::to_string(n.prefix); }

Ipv4Net next_free_subnet(const std::vector<Ipv4Net>& used) {
    // Podman's pool first; a host on 10.0.0.0/8 (a LAN, a VPN) leaves it
    // none, and Docker's 172.16.0.0/12 is next.
    for (Ipv4Net pool : {Ipv4Net{(10u << 24) | (89u << 16), 16}, Ipv4Net{(172u << 24) | (16u << 16), 12}}) {
        for (uint32_t a = pool.first(); a < pool.last(); a += 256) {
            Ipv4Net cand{a, 24};
            bool taken = false;
            for (auto& u : used) taken |= u.overlaps(cand);
            if (!taken) return cand;
        }
    }
    throw Error("no free subnet left in 10.89.0.0/16 or 172.16.0.0/12: give one with --subnet");
}

Ipv4Net default_bridge_subnet(const std::vector<Ipv4Net>& taken) {
    std::vector<Ipv4Net> candidates;
    for (uint32_t second = 17; second <= 31; ++second) candidates.push_back({(172u << 24) | (second << 16), 16});
    candidates.push_back({(10u << 24) | (88u << 16), 16});
    for (auto& cand : candidates) {
        bool clash = false;
        for (auto& t : taken) clash |= t.overlaps(cand);
        if (!clash) return cand;
    }
    throw Error("no subnet left for the default network: 172.17–31.0.0/16 and 10.88.0.0/16 are all routed "
                "on this host or used by networks");
}

std::vector<HostRoute> parse_proc_net_route(const std::string& text) {
    std::vector<HostRoute> out;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string iface, dest, gw, flags, refcnt, use, metric, mask;
        if (!(words >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask)) continue;
        // The kernel prints the network-order words as native integers.
        uint32_t d = ntohl(static_cast<uint32_t>(std::strtoul(dest.c_str(), nullptr, 16)));
        uint32_t m = ntohl(static_cast<uint32_t>(std::strtoul(mask.c_str(), nullptr, 16)));
        if (m == 0) continue;
        int prefix = __builtin_popcount(m);
        out.push_back({iface, {d & m, prefix}});
    }
    return out;
}

uint32_t default_gateway(const Ipv4Net& n) { return n.addr + 1; }

}  // namespace skiff::net
