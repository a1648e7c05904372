// The addresses on this host's interfaces (getifaddrs(3)), for choosing
// subnets no interface has and refusing a bridge whose gateway is taken.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/cidr.hpp"
#include "net/cidr6.hpp"

namespace skiff::net {

struct HostAddress {
    std::string iface;
    uint32_t address = 0;  // host order
    int prefix = 32;
    // The subnet the address is on: a VPN's /32 is its own subnet.
    Ipv4Net subnet() const { return Ipv4Net{address & Ipv4Net{0, prefix}.mask(), prefix}; }
};

std::vector<HostAddress> host_ipv4_addresses();
// The interface that has this IPv4 or IPv6 address here, if any.
std::optional<std::string> interface_with(const std::string& ip);

}  // namespace skiff::net
