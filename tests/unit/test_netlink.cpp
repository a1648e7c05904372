#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "net/netlink.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/process.hpp"

using namespace skiff;
using Catch::Matchers::Contains;

namespace {

constexpr int kSkip = 77;

void write_proc(const std::string& path, const std::string& text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw std::runtime_error("write " + path + ": " + std::strerror(errno));
}

// Fresh namespaces so the tests never touch the host's interfaces: root
// only needs a network namespace; anyone else gets a user namespace too,
// mapped to root in it so `ip` keeps its capabilities across exec.
bool enter_sandbox() {
    if (::geteuid() == 0) return ::unshare(CLONE_NEWNET) == 0;
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) return false;
    write_proc("/proc/self/setgroups", "deny");
    write_proc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    write_proc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    return true;
}

struct Outcome {
    int status = 0;
    std::string message;
};

// Runs `body` in a forked child inside the sandbox; Catch2 assertions do not
// work there, so the child reports through its exit status and a pipe.
Outcome in_sandbox(const std::function<void()>& body) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        rd.reset();
        int rc = 0;
        std::string msg;
        try {
            if (!enter_sandbox()) {
                rc = kSkip;
                msg = std::string("unshare: ") + std::strerror(errno);
            } else {
                body();
            }
        } catch (const std::exception& e) {
            rc = 1;
            msg = e.what();
        } catch (...) {
            rc = 1;
            msg = "unknown exception";
        }
        if (::write(wr.get(), msg.data(), msg.size()) < 0) rc = rc ? rc : 1;
        ::_exit(rc);
    }
    wr.reset();
    Outcome out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(rd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) out.message.append(buf, static_cast<size_t>(n));
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    out.status = shell_status(st);
    return out;
}

// Runs the sandboxed body and turns its outcome into Catch2 results.
void sandboxed(const std::function<void()>& body) {
    Outcome o = in_sandbox(body);
    if (o.status == kSkip) {
        WARN("cannot create network namespaces here (" << o.message << "); skipped");
        return;
    }
    INFO(o.message);
    CHECK(o.status == 0);
}

void expect(bool cond, const std::string& what) {
    if (!cond) throw std::runtime_error("expected: " + what);
}

void expect_error(const std::function<void()>& fn, const std::string& part, const std::string& what) {
    try {
        fn();
    } catch (const Error& e) {
        if (std::string(e.what()).find(part) == std::string::npos)
            throw std::runtime_error(what + ": message \"" + e.what() + "\" lacks \"" + part + "\"");
        return;
    }
    throw std::runtime_error(what + ": no error");
}

UniqueFd current_netns() {
    UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!fd) throw std::runtime_error("open /proc/thread-self/ns/net");
    return fd;
}

std::string netns_id() {
    char buf[64] = {};
    if (::readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1) < 0) throw std::runtime_error("readlink");
    return buf;
}

// A second network namespace, kept alive by the returned fd only.
UniqueFd new_netns() {
    UniqueFd home = current_netns();
    if (::unshare(CLONE_NEWNET) < 0) throw std::runtime_error(std::string("unshare: ") + std::strerror(errno));
    UniqueFd ns = current_netns();
    if (::setns(home.get(), CLONE_NEWNET) < 0) throw std::runtime_error("setns back");
    return ns;
}

// Inside `netns` for the lifetime of the guard.
class InNetns {
public:
    explicit InNetns(int netns) : home_(current_netns()) {
        if (::setns(netns, CLONE_NEWNET) < 0) throw std::runtime_error("setns");
    }
    ~InNetns() {
        if (::setns(home_.get(), CLONE_NEWNET) < 0) ::_exit(3);
    }
    InNetns(const InNetns&) = delete;
    InNetns& operator=(const InNetns&) = delete;

private:
    UniqueFd home_;
};

std::string ip(int netns, const std::vector<std::string>& args) {
    InNetns in(netns);
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = run_capture(argv);
    if (r.status != 0) throw std::runtime_error("ip failed: " + r.err);
    return r.out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

sockaddr_in ipv4(const char* ip, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

UniqueFd udp_socket() {
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) throw std::runtime_error("socket");
    return fd;
}

bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

// A datagram each way between the two namespaces, over bridge and veth.
// The first ones may wait for ARP while the links come up: resend.
void udp_round_trip(int container_netns) {
    UniqueFd host = udp_socket();
    sockaddr_in bind_to = ipv4("10.99.0.1", 40000);
    if (::bind(host.get(), reinterpret_cast<sockaddr*>(&bind_to), sizeof bind_to) < 0)
        throw std::runtime_error(std::string("bind 10.99.0.1: ") + std::strerror(errno));
    UniqueFd guest;
    {
        InNetns in(container_netns);
        guest = udp_socket();
    }
    sockaddr_in from{};
    bool got = false;
    for (int i = 0; i < 40 && !got; i++) {
        ::sendto(guest.get(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&bind_to), sizeof bind_to);
        if (!readable(host.get(), 250)) continue;
        char buf[8] = {};
        socklen_t len = sizeof from;
        got = ::recvfrom(host.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len) == 4 &&
              std::string(buf) == "ping";
    }
    expect(got, "a datagram from the container's namespace reaches the bridge's address");
    char src[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, src, sizeof src);
    expect(std::string(src) == "10.99.0.2", "the datagram comes from 10.99.0.2, not " + std::string(src));
    ::sendto(host.get(), "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), sizeof from);
    expect(readable(guest.get(), 5000), "the answer reaches the container's namespace");
    char buf[8] = {};
    expect(::recv(guest.get(), buf, sizeof buf, 0) == 4 && std::string(buf) == "pong", "the answer is pong");
}

}  // namespace

TEST_CASE("make_mac is stable, unicast and locally administered", "[netlink]") {
    std::string a = net::make_mac("container1/network1");
    CHECK(a == net::make_mac("container1/network1"));
    CHECK(a != net::make_mac("container1/network2"));
    CHECK(net::valid_mac(a));
    REQUIRE(a.size() == 17);
    unsigned first = static_cast<unsigned>(std::stoul(a.substr(0, 2), nullptr, 16));
    CHECK((first & 0x01) == 0);
    CHECK((first & 0x02) == 0x02);
    for (int i = 0; i < 64; i++) {
        std::string m = net::make_mac("seed" + std::to_string(i));
        unsigned b = static_cast<unsigned>(std::stoul(m.substr(0, 2), nullptr, 16));
        CHECK((b & 0x03) == 0x02);
    }
}

TEST_CASE("valid_mac accepts unicast addresses only", "[netlink]") {
    CHECK(net::valid_mac("02:42:ac:11:00:02"));
    CHECK(net::valid_mac("92:D0:C6:0A:29:33"));
    CHECK_FALSE(net::valid_mac(""));
    CHECK_FALSE(net::valid_mac("02:42:ac:11:00"));
    CHECK_FALSE(net::valid_mac("02:42:ac:11:00:02:03"));
    CHECK_FALSE(net::valid_mac("02-42-ac-11-00-02"));
    CHECK_FALSE(net::valid_mac("02:42:ac:11:00:0g"));
    CHECK_FALSE(net::valid_mac("2:42:ac:11:00:02:"));
    CHECK_FALSE(net::valid_mac("01:00:5e:00:00:01"));  // multicast
    CHECK_FALSE(net::valid_mac("ff:ff:ff:ff:ff:ff"));
    CHECK_FALSE(net::valid_mac("00:00:00:00:00:00"));
}

TEST_CASE("netlink: bridge, veth into a second namespace, address and route", "[netlink]") {
    sandboxed([] {
        net::Netlink host;
        UniqueFd home = current_netns();
        UniqueFd container = new_netns();
        const std::string mac = net::make_mac("c1/n1");

        expect(host.create_bridge("skiffbr0"), "the bridge is new");
        expect(!host.create_bridge("skiffbr0"), "a second create_bridge finds it");
        expect(host.link_index("skiffbr0") > 0, "the bridge has an index");
        host.create_veth("vethskiff0", "eth0", container.get(), mac);
        expect(host.link_index("vethskiff0") > 0, "the host end stays in the host namespace");
        expect(host.link_index("eth0") == -1, "the peer is not in the host namespace");
        host.set_master("vethskiff0", "skiffbr0");
        host.set_mtu("vethskiff0", 1400);
        host.set_up("vethskiff0");
        host.add_ipv4_address("skiffbr0", "10.99.0.1", 24);
        host.add_ipv4_address("skiffbr0", "10.99.0.1", 24);  // again: fine

        net::Netlink guest = net::Netlink::in_netns(container.get());
        expect(guest.link_index("eth0") > 0, "the peer is in the container namespace");
        expect(guest.mac_of("eth0") == mac, "the peer has the chosen MAC, not " + guest.mac_of("eth0"));
        guest.set_up("lo");
        guest.set_up("eth0");
        guest.add_ipv4_address("eth0", "10.99.0.2", 24);
        expect(guest.add_ipv4_default_route("10.99.0.1"), "the default route is new");
        expect(!guest.add_ipv4_default_route("10.99.0.1"), "a second default route is refused quietly");

        std::string link = ip(home.get(), {"-o", "link", "show", "vethskiff0"});
        expect(has(link, "master skiffbr0"), "vethskiff0 is on the bridge: " + link);
        expect(has(link, "mtu 1400"), "vethskiff0 has MTU 1400: " + link);
        std::string br = ip(home.get(), {"-o", "link", "show", "skiffbr0"});
        expect(has(br, ",UP") || has(br, "<UP"), "the bridge is up: " + br);
        std::string br_addr = ip(home.get(), {"-o", "-4", "addr", "show", "skiffbr0"});
        expect(has(br_addr, "inet 10.99.0.1/24 brd 10.99.0.255"), "the bridge's address: " + br_addr);
        std::string eth = ip(container.get(), {"-o", "link", "show", "eth0"});
        expect(has(eth, "link/ether " + mac), "eth0's MAC as ip shows it: " + eth);
        std::string eth_addr = ip(container.get(), {"-o", "-4", "addr", "show", "eth0"});
        expect(has(eth_addr, "inet 10.99.0.2/24 brd 10.99.0.255"), "eth0's address: " + eth_addr);
        std::string route = ip(container.get(), {"-4", "route", "show", "default"});
        expect(has(route, "default via 10.99.0.1 dev eth0"), "the default route: " + route);

        udp_round_trip(container.get());

        host.delete_link("vethskiff0");
        expect(host.link_index("vethskiff0") == -1, "the host end is gone");
        expect(guest.link_index("eth0") == -1, "deleting one end deletes the peer");
        host.delete_link("vethskiff0");  // missing: fine
        host.delete_link("skiffbr0");
        expect(host.link_index("skiffbr0") == -1, "the bridge is gone");
    });
}

TEST_CASE("netlink: errors name the interface and the operation", "[netlink]") {
    sandboxed([] {
        net::Netlink nl;
        expect_error([&] { nl.set_up(""); }, "invalid interface name \"\": empty", "empty name");
        expect_error([&] { nl.set_up("abcdefghijklmnop"); }, "longer than 15 characters", "16 characters");
        expect_error([&] { nl.create_bridge("a/b"); }, "invalid interface name \"a/b\"", "slash");
        expect_error([&] { nl.link_index("a b"); }, "invalid interface name", "space");
        expect(nl.link_index("abcdefghijklmno") == -1, "15 characters are allowed");

        expect_error([&] { nl.set_up("nosuch0"); }, "set nosuch0 up: No such device", "set_up of a missing link");
        expect_error([&] { nl.set_mtu("nosuch0", 1400); }, "nosuch0", "set_mtu of a missing link");
        expect_error([&] { nl.mac_of("nosuch0"); }, "no interface nosuch0", "mac_of a missing link");
        expect_error([&] { nl.add_ipv4_address("nosuch0", "10.1.0.2", 24); }, "to nosuch0: no interface nosuch0",
                     "address on a missing link");
        nl.delete_link("nosuch0");

        nl.create_veth("va0", "vb0", -1);
        expect(nl.link_index("vb0") > 0, "peer_netns_fd -1 keeps the peer here");
        expect_error([&] { nl.create_veth("va0", "vc0", -1); }, "create veth pair va0/vc0: File exists",
                     "an existing veth name");
        expect_error([&] { nl.create_veth("vd0", "ve0", -1, "01:00:5e:00:00:01"); }, "invalid MAC address",
                     "a multicast MAC");
        expect_error([&] { nl.create_bridge("va0"); },
                     "create bridge va0: an interface of that name exists and is not a bridge", "a bridge over a veth");
        expect_error([&] { nl.set_master("va0", "nobridge0"); },
                     "attach va0 to bridge nobridge0: no interface nobridge0", "a missing bridge");
        expect_error([&] { nl.set_mtu("va0", 10); }, "set the MTU of va0 to 10: Invalid argument", "a tiny MTU");
        expect_error([&] { nl.add_ipv4_address("va0", "10.1.0.300", 24); }, "is not an IPv4 address", "a bad address");
        expect_error([&] { nl.add_ipv4_address("va0", "10.1.0.2", 33); }, "0 to 32", "a bad prefix");
        expect_error([&] { nl.add_ipv4_default_route("10.123.0.1"); },
                     "add the default route via 10.123.0.1: Network is unreachable", "an unreachable gateway");
        nl.delete_link("vb0");
        expect(nl.link_index("va0") == -1, "deleting the peer deletes both ends");
    });
}

TEST_CASE("netlink: in_netns opens the socket there and comes back", "[netlink]") {
    sandboxed([] {
        std::string before = netns_id();
        UniqueFd other = new_netns();
        expect(netns_id() == before, "new_netns comes back");
        net::Netlink there = net::Netlink::in_netns(other.get());
        expect(netns_id() == before, "in_netns comes back");
        expect(there.create_bridge("otherbr0"), "a bridge in the other namespace");
        net::Netlink here;
        expect(here.link_index("otherbr0") == -1, "the bridge is not here");
        expect(there.link_index("otherbr0") > 0, "the bridge is there");

        UniqueFd not_a_netns(::open("/", O_RDONLY | O_CLOEXEC | O_DIRECTORY));
        expect_error([&] { net::Netlink::in_netns(not_a_netns.get()); }, "enter a network namespace", "a bad fd");
        expect(netns_id() == before, "a failed in_netns stays home");
    });
}
