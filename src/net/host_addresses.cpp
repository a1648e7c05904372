#include "net/host_addresses.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

namespace skiff::net {

namespace {

struct IfaddrsFree {
    void operator()(ifaddrs* list) const { ::freeifaddrs(list); }
};
using IfaddrsList = std::unique_ptr<ifaddrs, IfaddrsFree>;

// An empty list when the kernel will not say: callers then see no clash
// here, and the kernel refuses a duplicate address later, loudly.
IfaddrsList interfaces() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) < 0) return nullptr;
    return IfaddrsList(list);
}

int prefix_of(const sockaddr* mask) {
    if (!mask) return 32;
    uint32_t m = ntohl(reinterpret_cast<const sockaddr_in*>(mask)->sin_addr.s_addr);
    return __builtin_popcount(m);
}

}  // namespace

std::vector<HostAddress> host_ipv4_addresses() {
    std::vector<HostAddress> out;
    auto list = interfaces();
    for (ifaddrs* i = list.get(); i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        out.push_back(HostAddress{.iface = i->ifa_name,
                                  .address = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr),
                                  .prefix = prefix_of(i->ifa_netmask)});
    }
    return out;
}

std::optional<std::string> interface_with(const std::string& ip) {
    if (auto v4 = parse_ipv4(ip)) {
        for (auto& a : host_ipv4_addresses())
            if (a.address == *v4) return a.iface;
        return std::nullopt;
    }
    auto v6 = parse_ipv6(ip);
    if (!v6) return std::nullopt;
    auto list = interfaces();
    for (ifaddrs* i = list.get(); i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
            std::memcmp(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, v6->data(), v6->size()) == 0)
            return std::string(i->ifa_name);
    return std::nullopt;
}

}  // namespace skiff::net
