// A small rtnetlink client for the bridge + veth networks: raw NETLINK_ROUTE
// requests, one at a time and each acknowledged, so no `ip` subprocess is
// needed and every failure names the interface and the operation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace skiff::net {

class Netlink {
public:
    // A socket in the calling thread's current network namespace.
    Netlink();
    // A socket in another network namespace. A socket stays bound to the
    // namespace it was created in, so the calling thread enters `netns_fd`
    // only for socket() and is back in its own namespace when this returns
    // or throws.
    static Netlink in_netns(int netns_fd);

    Netlink(Netlink&&) noexcept = default;
    Netlink& operator=(Netlink&&) noexcept = default;

    // -1 when there is no such interface.
    int link_index(const std::string& name);
    // Creates the bridge and sets it up; false when an interface of that
    // name already exists (it must be a bridge, and is set up too).
    bool create_bridge(const std::string& name);
    // A veth pair: `name` stays in this socket's namespace, `peer` is created
    // directly inside `peer_netns_fd` (-1: this namespace too), with
    // `peer_mac` ("aa:bb:cc:dd:ee:ff") when not empty. Both ends start down.
    void create_veth(const std::string& name, const std::string& peer, int peer_netns_fd,
                     const std::string& peer_mac = "");
    void set_master(const std::string& name, const std::string& bridge);
    void set_up(const std::string& name);
    void set_mtu(const std::string& name, unsigned mtu);
    // Adds ip/prefix with its broadcast address; an address already there is fine.
    void add_ipv4_address(const std::string& name, const std::string& ip, int prefix);
    // A default route via `gateway` in the main table; false when a default
    // route exists already (a container on several networks keeps its first).
    bool add_ipv4_default_route(const std::string& gateway);
    // IPv6: without duplicate address detection, so the address is usable
    // at once (a container's first packet must not meet a tentative one).
    void add_ipv6_address(const std::string& name, const std::string& ip, int prefix);
    // The default IPv6 route via `gateway` on interface `name`; false when
    // one exists already.
    bool add_ipv6_default_route(const std::string& name, const std::string& gateway);
    // A missing interface is fine. Deleting one end of a veth pair deletes both.
    void delete_link(const std::string& name);
    // "aa:bb:cc:dd:ee:ff"
    std::string mac_of(const std::string& name);
    // Packets carrying `mark` go to this namespace's own sockets, whatever
    // their destination (`ip rule add fwmark MARK lookup TABLE` and `ip route
    // add local 0.0.0.0/0 dev lo table TABLE`): the replies to a transparent
    // socket bound to another host's address. Both may exist already.
    void route_marked_locally(uint32_t mark, uint32_t table);

private:
    struct Link {
        int index = -1;
        std::string mac;
        std::string kind;
    };
    struct Answer {
        int error = 0;       // the errno the kernel answered with, 0 for success
        std::string detail;  // the kernel's extended ack message, when it gave one
    };
    explicit Netlink(UniqueFd fd);
    // Sends one request and waits for its ack; only transport failures throw.
    // `reply` receives the answer's message for a GET.
    Answer request(std::vector<char>& msg, const std::string& what, std::vector<char>* reply = nullptr);
    // request() that throws on any error.
    void check(std::vector<char>& msg, const std::string& what);
    Link get_link(const std::string& name);
    int index_or_throw(const std::string& name, const std::string& what);
    // The main table's default route via `gateway` (of `family`, `len`
    // bytes), out of interface `oif` unless -1; false when one exists.
    bool add_default_route(int family, const void* gateway, size_t len, int oif, const std::string& what);

    UniqueFd fd_;
    uint32_t seq_ = 0;
};

// A stable MAC for a container on a network (seed: e.g. container id +
// network id): locally administered and unicast, so it never collides with
// a vendor's address.
std::string make_mac(const std::string& seed);
// "aa:bb:cc:dd:ee:ff" (either case) naming a unicast address other than
// 00:00:00:00:00:00: the kernel refuses the others on an interface.
bool valid_mac(const std::string& mac);

}  // namespace skiff::net
