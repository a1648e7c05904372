#include "net/netlink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "util/error.hpp"
#include "util/sha256.hpp"

namespace skiff::net {

namespace {

using Mac = std::array<unsigned char, 6>;

// The kernel's rules (dev_valid_name), checked here so that the error names
// the problem instead of a bare EINVAL.
void check_ifname(const std::string& name) {
    auto bad = [&](const std::string& why) {
        throw Error("invalid interface name \"" + name + "\": " + why);
    };
    if (name.empty()) bad("empty");
    if (name.size() > IFNAMSIZ - 1) bad("longer than " + std::to_string(IFNAMSIZ - 1) + " characters");
    if (name == "." || name == "..") bad("reserved");
    for (unsigned char c : name)
        if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) bad("contains '/', ':', a space or a control character");
}

std::optional<Mac> parse_mac(const std::string& s) {
    if (s.size() != 17) return std::nullopt;
    Mac mac{};
    for (size_t i = 0; i < 6; i++) {
        if (i > 0 && s[i * 3 - 1] != ':') return std::nullopt;
        unsigned v = 0;
        for (size_t j = 0; j < 2; j++) {
            char c = s[i * 3 + j];
            int d = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) return std::nullopt;
            v = v * 16 + static_cast<unsigned>(d);
        }
        mac[i] = static_cast<unsigned char>(v);
    }
    return mac;
}

std::string format_mac(const unsigned char* b, size_t n) {
    std::string out;
    char part[4];
    for (size_t i = 0; i < n; i++) {
        std::snprintf(part, sizeof part, i ? ":%02x" : "%02x", b[i]);
        out += part;
    }
    return out;
}

in_addr parse_ipv4(const std::string& ip, const std::string& what) {
    in_addr a{};
    if (::inet_pton(AF_INET, ip.c_str(), &a) != 1) throw Error(what + ": \"" + ip + "\" is not an IPv4 address");
    return a;
}

// One request under construction: the nlmsghdr, a fixed body (ifinfomsg,
// ifaddrmsg, rtmsg) and attributes, nested ones by offset since the
// buffer moves as it grows.
class Request {
public:
    // Room for any request up front: GCC 12 at -O3 reports a bogus
    // out-of-bounds memcpy when a small vector<char> grows (-Warray-bounds).
    Request(uint16_t type, uint16_t flags) {
        buf_.reserve(1024);
        nlmsghdr h{};
        h.nlmsg_type = type;
        h.nlmsg_flags = flags;
        append(&h, sizeof h);
        pad(NLMSG_HDRLEN - sizeof h);
    }
    template <class T>
    void body(const T& v) {
        raw(&v, sizeof v);
    }
    void raw(const void* data, size_t len) {
        append(data, len);
        pad(NLMSG_ALIGN(len) - len);
    }
    void attr(uint16_t type, const void* data, size_t len) {
        rtattr a{};
        a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
        a.rta_type = type;
        append(&a, sizeof a);
        pad(RTA_LENGTH(0) - sizeof a);
        append(data, len);
        pad(RTA_SPACE(len) - RTA_LENGTH(len));
    }
    void append(const void* data, size_t len) {
        auto* p = static_cast<const char*>(data);
        if (len) buf_.insert(buf_.end(), p, p + len);
    }
    void pad(size_t n) { buf_.insert(buf_.end(), n, 0); }
    void attr(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
    void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
    size_t begin_nest(uint16_t type) {
        size_t at = buf_.size();
        attr(type, nullptr, 0);
        return at;
    }
    void end_nest(size_t at) {
        auto len = static_cast<unsigned short>(buf_.size() - at);
        std::memcpy(buf_.data() + at + offsetof(rtattr, rta_len), &len, sizeof len);
    }
    std::vector<char>& bytes() { return buf_; }

private:
    std::vector<char> buf_;
};
ifinfomsg link_msg(unsigned flags = 0, unsigned change = 0) {
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_flags = flags;
    ifi.ifi_change = change;
    return ifi;
}

[[noreturn]] void fail(const std::string& what, int err, const std::string& detail) {
    throw Error(what + ": " + std::strerror(err) + (detail.empty() ? "" : " (" + detail + ")"));
}

// The text of an extended ack (NETLINK_EXT_ACK), e.g. "Invalid MTU".
std::string ext_ack_message(const nlmsghdr* m) {
    if (!(m->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
    nlmsgerr e{};
    std::memcpy(&e, NLMSG_DATA(m), sizeof e);
    size_t off = NLMSG_HDRLEN + sizeof e;
    // Without NETLINK_CAP_ACK the kernel echoes the request before the TLVs.
    if (!(m->nlmsg_flags & NLM_F_CAPPED)) off += e.msg.nlmsg_len - NLMSG_HDRLEN;
    off = NLMSG_ALIGN(off);
    const char* base = reinterpret_cast<const char*>(m);
    while (off + NLA_HDRLEN <= m->nlmsg_len) {
        nlattr a{};
        std::memcpy(&a, base + off, sizeof a);
        if (a.nla_len < NLA_HDRLEN || off + a.nla_len > m->nlmsg_len) break;
        if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
            return std::string(base + off + NLA_HDRLEN, ::strnlen(base + off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
        off += NLA_ALIGN(a.nla_len);
    }
    return "";
}

// A NETLINK_ROUTE socket in the current thread's network namespace; -1 and errno on failure.
UniqueFd open_socket() {
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd) return fd;
    // Smaller acks (no echo of the request) and the kernel's reason for a
    // refusal; old kernels without them still work.
    int one = 1;
    ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    sockaddr_nl self{};
    self.nl_family = AF_NETLINK;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof self) < 0) {
        int err = errno;
        fd.reset();
        errno = err;
    }
    return fd;
}

// Reads one datagram from the kernel, sized first so nothing is cut off.
std::vector<char> receive(int fd, const std::string& what) {
    for (;;) {
        ssize_t size = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
        if (size < 0) {
            if (errno == EINTR) continue;
            throw_errno(what + ": netlink receive");
        }
        std::vector<char> buf(static_cast<size_t>(size) + 1);
        sockaddr_nl from{};
        iovec iov{buf.data(), buf.size()};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        ssize_t n = ::recvmsg(fd, &mh, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno(what + ": netlink receive");
        }
        if (mh.msg_flags & MSG_TRUNC) throw Error(what + ": netlink answer truncated");
        if (from.nl_pid != 0) continue;  // only the kernel answers requests
        buf.resize(static_cast<size_t>(n));
        return buf;
    }
}

}  // namespace

Netlink::Netlink() : fd_(open_socket()) {
    if (!fd_) throw_errno("open a netlink socket");
}

Netlink::Netlink(UniqueFd fd) : fd_(std::move(fd)) {}

Netlink Netlink::in_netns(int netns_fd) {
    UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!self) throw_errno("open /proc/thread-self/ns/net");
    if (::setns(netns_fd, CLONE_NEWNET) < 0) throw_errno("enter a network namespace to open a netlink socket there");
    UniqueFd sock = open_socket();
    int err = errno;
    if (::setns(self.get(), CLONE_NEWNET) < 0) {
        // Going on in the wrong namespace would configure a container's
        // network as the host's (or the reverse): nothing sane is left.
        std::fprintf(stderr, "skiff: cannot return to the original network namespace: %s\n", std::strerror(errno));
        std::abort();
    }
    if (!sock) throw_errno("open a netlink socket in a network namespace", err);
    return Netlink(std::move(sock));
}

Netlink::Answer Netlink::request(std::vector<char>& msg, const std::string& what, std::vector<char>* reply) {
    nlmsghdr h{};
    std::memcpy(&h, msg.data(), sizeof h);
    h.nlmsg_len = static_cast<uint32_t>(msg.size());
    h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    h.nlmsg_seq = ++seq_;
    std::memcpy(msg.data(), &h, sizeof h);

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    while (::sendto(fd_.get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
        if (errno != EINTR) throw_errno(what + ": netlink send");

    for (;;) {
        std::vector<char> buf = receive(fd_.get(), what);
        auto len = static_cast<unsigned>(buf.size());
        for (auto* m = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(m, len); m = NLMSG_NEXT(m, len)) {
            if (m->nlmsg_seq != seq_) continue;  // a stale answer to an earlier request
            if (m->nlmsg_type != NLMSG_ERROR) {
                if (reply) reply->assign(reinterpret_cast<char*>(m), reinterpret_cast<char*>(m) + m->nlmsg_len);
                continue;
            }
            if (m->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) throw Error(what + ": short netlink error message");
            nlmsgerr e{};
            std::memcpy(&e, NLMSG_DATA(m), sizeof e);
            if (e.error == 0) return {};
            return {-e.error, ext_ack_message(m)};
        }
    }
}

void Netlink::check(std::vector<char>& msg, const std::string& what) {
    Answer a = request(msg, what);
    if (a.error != 0) fail(what, a.error, a.detail);
}

Netlink::Link Netlink::get_link(const std::string& name) {
    check_ifname(name);
    Request r(RTM_GETLINK, 0);
    r.body(link_msg());
    r.attr(IFLA_IFNAME, name);
    r.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);  // keeps the answer small
    std::vector<char> reply;
    std::string what = "look up interface " + name;
    Answer a = request(r.bytes(), what, &reply);
    if (a.error == ENODEV) return {};
    if (a.error != 0) fail(what, a.error, a.detail);
    if (reply.size() < NLMSG_LENGTH(sizeof(ifinfomsg))) throw Error(what + ": no answer from the kernel");

    auto* m = reinterpret_cast<nlmsghdr*>(reply.data());
    auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(m));
    Link link;
    link.index = ifi->ifi_index;
    int left = static_cast<int>(IFLA_PAYLOAD(m));
    for (rtattr* a = IFLA_RTA(ifi); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
        if (a->rta_type == IFLA_ADDRESS) {
            link.mac = format_mac(static_cast<unsigned char*>(RTA_DATA(a)), RTA_PAYLOAD(a));
        } else if ((a->rta_type & NLA_TYPE_MASK) == IFLA_LINKINFO) {
            int in = static_cast<int>(RTA_PAYLOAD(a));
            for (rtattr* i = static_cast<rtattr*>(RTA_DATA(a)); RTA_OK(i, in); i = RTA_NEXT(i, in))
                if (i->rta_type == IFLA_INFO_KIND)
                    link.kind.assign(static_cast<char*>(RTA_DATA(i)),
                                     ::strnlen(static_cast<char*>(RTA_DATA(i)), RTA_PAYLOAD(i)));
        }
    }
    return link;
}

int Netlink::index_or_throw(const std::string& name, const std::string& what) {
    int index = link_index(name);
    if (index < 0) throw Error(what + ": no interface " + name);
    return index;
}

int Netlink::link_index(const std::string& name) { return get_link(name).index; }

bool Netlink::create_bridge(const std::string& name) {
    check_ifname(name);
    Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    r.body(link_msg(IFF_UP, IFF_UP));
    r.attr(IFLA_IFNAME, name);
    size_t info = r.begin_nest(IFLA_LINKINFO);
    r.attr(IFLA_INFO_KIND, std::string("bridge"));
    r.end_nest(info);
    std::string what = "create bridge " + name;
    Answer a = request(r.bytes(), what);
    if (a.error == 0) return true;
    if (a.error != EEXIST) fail(what, a.error, a.detail);
    // Another skiff may have made it a moment ago; anything else by that
    // name is not ours to take over.
    if (get_link(name).kind != "bridge") throw Error(what + ": an interface of that name exists and is not a bridge");
    set_up(name);
    return false;
}

void Netlink::create_veth(const std::string& name, const std::string& peer, int peer_netns_fd,
                          const std::string& peer_mac) {
    check_ifname(name);
    check_ifname(peer);
    std::string what = "create veth pair " + name + "/" + peer;
    std::optional<Mac> mac;
    if (!peer_mac.empty()) {
        mac = parse_mac(peer_mac);
        if (!mac || !valid_mac(peer_mac)) throw Error(what + ": invalid MAC address \"" + peer_mac + "\"");
    }
    Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    r.body(link_msg());
    r.attr(IFLA_IFNAME, name);
    size_t info = r.begin_nest(IFLA_LINKINFO);
    r.attr(IFLA_INFO_KIND, std::string("veth"));
    size_t data = r.begin_nest(IFLA_INFO_DATA);
    size_t peer_info = r.begin_nest(VETH_INFO_PEER);
    ifinfomsg peer_ifi = link_msg();
    r.raw(&peer_ifi, sizeof peer_ifi);
    r.attr(IFLA_IFNAME, peer);
    if (peer_netns_fd >= 0) r.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
    if (mac) r.attr(IFLA_ADDRESS, mac->data(), mac->size());
    r.end_nest(peer_info);
    r.end_nest(data);
    r.end_nest(info);
    check(r.bytes(), what);
}

void Netlink::set_master(const std::string& name, const std::string& bridge) {
    check_ifname(name);
    std::string what = "attach " + name + " to bridge " + bridge;
    int master = index_or_throw(bridge, what);
    Request r(RTM_SETLINK, 0);
    r.body(link_msg());
    r.attr(IFLA_IFNAME, name);
    r.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master));
    check(r.bytes(), what);
}

void Netlink::set_up(const std::string& name) {
    check_ifname(name);
    Request r(RTM_SETLINK, 0);
    r.body(link_msg(IFF_UP, IFF_UP));
    r.attr(IFLA_IFNAME, name);
    check(r.bytes(), "set " + name + " up");
}

void Netlink::set_mtu(const std::string& name, unsigned mtu) {
    check_ifname(name);
    Request r(RTM_SETLINK, 0);
    r.body(link_msg());
    r.attr(IFLA_IFNAME, name);
    r.attr_u32(IFLA_MTU, mtu);
    check(r.bytes(), "set the MTU of " + name + " to " + std::to_string(mtu));
}

void Netlink::add_ipv4_address(const std::string& name, const std::string& ip, int prefix) {
    check_ifname(name);
    std::string what = "add address " + ip + "/" + std::to_string(prefix) + " to " + name;
    in_addr addr = parse_ipv4(ip, what);
    if (prefix < 0 || prefix > 32) throw Error(what + ": the prefix length must be 0 to 32");
    int index = index_or_throw(name, what);

    Request r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET;
    ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    ifa.ifa_index = static_cast<unsigned>(index);
    r.body(ifa);
    r.attr(IFA_LOCAL, &addr, sizeof addr);
    r.attr(IFA_ADDRESS, &addr, sizeof addr);
    // /31 and /32 have no broadcast address (RFC 3021).
    if (prefix <= 30) {
        uint32_t host_mask = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
        in_addr brd{htonl(ntohl(addr.s_addr) | host_mask)};
        r.attr(IFA_BROADCAST, &brd, sizeof brd);
    }
    Answer a = request(r.bytes(), what);
    if (a.error == 0 || a.error == EEXIST) return;
    fail(what, a.error, a.detail);
}

bool Netlink::add_default_route(int family, const void* gateway, size_t len, int oif, const std::string& what) {
    Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    rtmsg rt{};
    rt.rtm_family = static_cast<unsigned char>(family);
    rt.rtm_table = RT_TABLE_MAIN;
    rt.rtm_protocol = RTPROT_BOOT;
    rt.rtm_scope = RT_SCOPE_UNIVERSE;
    rt.rtm_type = RTN_UNICAST;
    r.body(rt);
    r.attr(RTA_GATEWAY, gateway, len);
    if (oif >= 0) r.attr_u32(RTA_OIF, static_cast<uint32_t>(oif));
    Answer a = request(r.bytes(), what);
    if (a.error == 0) return true;
    if (a.error == EEXIST) return false;
    fail(what, a.error, a.detail);
}

bool Netlink::add_ipv4_default_route(const std::string& gateway) {
    std::string what = "add the default route via " + gateway;
    in_addr gw = parse_ipv4(gateway, what);
    return add_default_route(AF_INET, &gw, sizeof gw, -1, what);
}

void Netlink::add_ipv6_address(const std::string& name, const std::string& ip, int prefix) {
    check_ifname(name);
    std::string what = "add address " + ip + "/" + std::to_string(prefix) + " to " + name;
    in6_addr addr{};
    if (::inet_pton(AF_INET6, ip.c_str(), &addr) != 1) throw Error(what + ": \"" + ip + "\" is not an IPv6 address");
    if (prefix < 0 || prefix > 128) throw Error(what + ": the prefix length must be 0 to 128");
    int index = index_or_throw(name, what);
    Request r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET6;
    ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
    ifa.ifa_flags = IFA_F_NODAD;
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    ifa.ifa_index = static_cast<unsigned>(index);
    r.body(ifa);
    r.attr(IFA_LOCAL, &addr, sizeof addr);
    r.attr(IFA_ADDRESS, &addr, sizeof addr);
    Answer a = request(r.bytes(), what);
    if (a.error == 0 || a.error == EEXIST) return;
    fail(what, a.error, a.detail);
}

bool Netlink::add_ipv6_default_route(const std::string& name, const std::string& gateway) {
    std::string what = "add the IPv6 default route via " + gateway;
    in6_addr gw{};
    if (::inet_pton(AF_INET6, gateway.c_str(), &gw) != 1)
        throw Error(what + ": \"" + gateway + "\" is not an IPv6 address");
    return add_default_route(AF_INET6, &gw, sizeof gw, index_or_throw(name, what), what);
}

void Netlink::delete_link(const std::string& name) {
    check_ifname(name);
    Request r(RTM_DELLINK, 0);
    r.body(link_msg());
    r.attr(IFLA_IFNAME, name);
    std::string what = "delete interface " + name;
    Answer a = request(r.bytes(), what);
    if (a.error == 0 || a.error == ENODEV) return;
    fail(what, a.error, a.detail);
}

std::string Netlink::mac_of(const std::string& name) {
    Link link = get_link(name);
    if (link.index < 0) throw Error("read the MAC address of " + name + ": no interface " + name);
    return link.mac;
}

void Netlink::route_marked_locally(uint32_t mark, uint32_t table) {
    std::string what = "route marked packets to local sockets";
    {
        Request r(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
        fib_rule_hdr h{};
        h.family = AF_INET;
        h.action = FR_ACT_TO_TBL;
        r.body(h);
        r.attr_u32(FRA_FWMARK, mark);
        r.attr_u32(FRA_TABLE, table);
        Answer a = request(r.bytes(), what + " (rule)");
        if (a.error != 0 && a.error != EEXIST) fail(what + " (rule)", a.error, a.detail);
    }
    Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    rtmsg rt{};
    rt.rtm_family = AF_INET;
    rt.rtm_table = RT_TABLE_UNSPEC;
    rt.rtm_protocol = RTPROT_BOOT;
    rt.rtm_scope = RT_SCOPE_HOST;
    rt.rtm_type = RTN_LOCAL;
    r.body(rt);
    r.attr_u32(RTA_TABLE, table);
    r.attr_u32(RTA_OIF, static_cast<uint32_t>(index_or_throw("lo", what)));
    Answer a = request(r.bytes(), what + " (route)");
    if (a.error != 0 && a.error != EEXIST) fail(what + " (route)", a.error, a.detail);
}

std::string make_mac(const std::string& seed) {
    std::string hex = Sha256::of(seed);
    Mac mac{};
    for (size_t i = 0; i < mac.size(); i++)
        mac[i] = static_cast<unsigned char>(std::stoul(hex.substr(i * 2, 2), nullptr, 16));
    mac[0] = static_cast<unsigned char>((mac[0] & 0xfc) | 0x02);  // unicast, locally administered
    return format_mac(mac.data(), mac.size());
}

bool valid_mac(const std::string& mac) {
    auto m = parse_mac(mac);
    if (!m || ((*m)[0] & 0x01)) return false;
    for (unsigned char b : *m)
        if (b) return true;
    return false;
}

}  // namespace skiff::net
