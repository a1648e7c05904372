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
    // A prefix under 8 (a misconfigured /0) would leave no subnet free: the
    // address alone is taken then.
    Ipv4Net subnet() const {
        int p = prefix < 8 ? 32 : prefix;
        return Ipv4Net{address & Ipv4Net{0, p}.mask(), p};
    }
};

std::vector<HostAddress> host_ipv4_addresses();
// The interface that has this IPv4 or IPv6 address here, if any.
std::optional<std::string> interface_with(const std::string& ip);

}  // namespace skiff::net
