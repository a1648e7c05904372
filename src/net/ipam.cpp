#include "net/ipam.hpp"

#include "util/error.hpp"

namespace skiff::net {

AddressPool pool_of(const std::string& subnet, const std::string& ip_range, const std::string& gateway) {
    AddressPool p;
    p.subnet = parse_cidr(subnet);
    p.range = ip_range.empty() ? p.subnet : parse_cidr(ip_range);
    auto gw = parse_ipv4(gateway);
    p.gateway = gw ? *gw : default_gateway(p.subnet);
    return p;
}

namespace {

bool is_host_address(const AddressPool& p, uint32_t ip) {
    // A /31 or /32 has no network and broadcast addresses to spare.
    if (p.subnet.prefix >= 31) return p.subnet.contains(ip);
    return p.subnet.contains(ip) && ip != p.subnet.first() && ip != p.subnet.last();
}

}  // namespace

uint32_t next_free_address(const AddressPool& p, const std::set<uint32_t>& used, const std::string& network_name) {
    for (uint64_t ip = p.range.first(); ip <= p.range.last(); ++ip) {
        auto a = static_cast<uint32_t>(ip);
        if (a != p.gateway && is_host_address(p, a) && !used.count(a)) return a;
    }
    throw Error("network " + network_name + " has no free address left in " + cidr_string(p.range));
}

uint32_t check_requested_address(const AddressPool& p, const std::string& ip, const std::set<uint32_t>& used,
                                 const std::string& network_name) {
    auto a = parse_ipv4(ip);
    if (!a) throw Error("invalid --ip \"" + ip + "\": not an IPv4 address");
    if (!is_host_address(p, *a))
        throw Error("--ip " + ip + " is not a host address of network " + network_name + " (" +
                    cidr_string(p.subnet) + ")");
    if (*a == p.gateway) throw Error("--ip " + ip + " is the gateway of network " + network_name);
    if (used.count(*a)) throw Error("--ip " + ip + " is already in use on network " + network_name);
    return *a;
}

}  // namespace skiff::net
