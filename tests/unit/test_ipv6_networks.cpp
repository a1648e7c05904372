// Dual-stack user-defined networks: IPv6 subnets and addresses, the ip6
// nft table, AAAA answers.
#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/cidr6.hpp"
#include "net/dns_message.hpp"
#include "net/dns_responder.hpp"
#include "net/nft6_rules.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace skiff;

TEST_CASE("IPv6 subnets are parsed and checked", "[net][ipv6]") {
    auto n = net::parse_cidr6("fd00:dead:beef::/64");
    CHECK(net::cidr6_string(n) == "fd00:dead:beef::/64");
    CHECK(net::ipv6_string(net::default_gateway6(n)) == "fd00:dead:beef::1");
    CHECK(net::ipv6_string(n.last()) == "fd00:dead:beef:0:ffff:ffff:ffff:ffff");
    CHECK(n.contains(*net::parse_ipv6("fd00:dead:beef::1234")));
    CHECK_FALSE(n.contains(*net::parse_ipv6("fd00:dead:beef:1::1")));
    CHECK(n.overlaps(net::parse_cidr6("fd00:dead:beef::/80")));
    CHECK(net::parse_cidr6("fd00::/8").overlaps(n));
    CHECK_FALSE(n.overlaps(net::parse_cidr6("fd00:dead:beef:1::/64")));
    CHECK_THROWS_WITH(net::parse_cidr6("fd00:dead:beef::1/64"), Catch::Contains("host bits are set"));
    CHECK_THROWS_WITH(net::parse_cidr6("fd00::/127"), Catch::Contains("8-126"));
    CHECK_THROWS_AS(net::parse_cidr6("10.89.0.0/24"), Error);
    CHECK_THROWS_AS(net::parse_cidr6("fd00::"), Error);
    CHECK(net::is_ipv6_text("fd00::/64"));
    CHECK_FALSE(net::is_ipv6_text("10.0.0.0/8"));
}

TEST_CASE("a random ULA /64 avoids the subnets in use", "[net][ipv6]") {
    std::vector<net::Ipv6Net> used;
    for (int i = 0; i < 20; ++i) {
        auto s = net::random_ula_subnet(used);
        CHECK(s.prefix == 64);
        CHECK(s.addr[0] == 0xfd);
        for (auto& u : used) CHECK_FALSE(u.overlaps(s));
        used.push_back(s);
    }
    CHECK_THROWS_AS(net::random_ula_subnet({net::parse_cidr6("fd00::/8")}), Error);
}

TEST_CASE("IPv6 addresses come from the range, never the subnet address or the gateway", "[net][ipv6]") {
    auto p = net::pool6_of("fd00:1::/64", "", "fd00:1::1");
    CHECK(net::ipv6_string(net::next_free_address6(p, {}, "n")) == "fd00:1::2");
    std::set<net::Ipv6Addr> used = {*net::parse_ipv6("fd00:1::2")};
    CHECK(net::ipv6_string(net::next_free_address6(p, used, "n")) == "fd00:1::3");
    auto gw = net::pool6_of("fd00:1::/64", "", "fd00:1::2");
    CHECK(net::ipv6_string(net::next_free_address6(gw, {}, "n")) == "fd00:1::1");
    auto ranged = net::pool6_of("fd00:1::/64", "fd00:1::100/126", "");
    std::set<net::Ipv6Addr> taken;
    for (int i = 0; i < 4; ++i) taken.insert(net::next_free_address6(ranged, taken, "n"));
    CHECK(taken.count(*net::parse_ipv6("fd00:1::103")));
    CHECK_THROWS_WITH(net::next_free_address6(ranged, taken, "n"), Catch::Contains("no free IPv6 address"));

    CHECK(net::ipv6_string(net::check_requested_address6(p, "fd00:1::50", {}, "n")) == "fd00:1::50");
    CHECK_THROWS_WITH(net::check_requested_address6(p, "fd00:2::50", {}, "n"), Catch::Contains("not a host address"));
    CHECK_THROWS_WITH(net::check_requested_address6(p, "fd00:1::", {}, "n"), Catch::Contains("not a host address"));
    CHECK_THROWS_WITH(net::check_requested_address6(p, "fd00:1::1", {}, "n"), Catch::Contains("gateway"));
    CHECK_THROWS_WITH(net::check_requested_address6(p, "10.89.0.5", {}, "n"), Catch::Contains("not an IPv6"));
    CHECK_THROWS_WITH(net::check_requested_address6(p, "fd00:1::2", used, "n"), Catch::Contains("already in use"));
}

TEST_CASE("the ip6 table: masquerade, isolation, internal networks closed", "[net][ipv6]") {
    CHECK(net::nft6_script("skiff", {}) == "add table ip6 skiff\ndelete table ip6 skiff\n");
    auto s = net::nft6_script("skiff", {{"br-a", "fd00:a::/64", false}, {"br-b", "fd00:b::/64", true}});
    CHECK(s.rfind("add table ip6 skiff\ndelete table ip6 skiff\ntable ip6 skiff {\n", 0) == 0);
    CHECK(s.find("ip6 saddr fd00:a::/64 ip6 daddr != fd00:a::/64 oifname != \"br-a\" masquerade") != std::string::npos);
    CHECK(s.find("ip6 saddr fd00:b::/64") == std::string::npos);  // internal: no way out
    CHECK(s.find("iifname \"br-a\" oifname \"br-b\" reject") != std::string::npos);
    CHECK(s.find("iifname \"br-b\" oifname \"br-a\" reject") != std::string::npos);
    CHECK(s.find("iifname \"br-b\" meta l4proto ipv6-icmp accept") != std::string::npos);
    CHECK(s.find("iifname \"br-b\" reject") != std::string::npos);
}

TEST_CASE("dns: AAAA records", "[dns][ipv6]") {
    net::DnsQuery q;
    q.id = 0x1234;
    q.question.name = "web";
    q.question.wire_name = *net::encode_dns_name("web");
    q.question.type = net::kDnsTypeAaaa;
    q.question.klass = net::kDnsClassIn;
    auto ip = *net::parse_ipv6("fd00:1::2");
    auto r = net::build_dns_response(q, {.authoritative = true, .aaaa = {ip}});
    REQUIRE(r.size() == 12 + 5 + 4 + 2 + 10 + 16);
    CHECK(r[7] == 1);  // ANCOUNT
    size_t rr = 12 + 5 + 4;
    CHECK(r[rr + 2] == 0);
    CHECK(r[rr + 3] == net::kDnsTypeAaaa);
    CHECK(r[rr + 11] == 16);  // RDLENGTH
    CHECK(std::equal(ip.begin(), ip.end(), r.end() - 16));
    // Too many for the size limit: truncated, as the A records are.
    std::vector<net::Ipv6Addr> many(40, ip);
    auto t = net::build_dns_response(q, {.aaaa = many}, 512);
    CHECK(t.size() <= 512);
    CHECK((t[2] & (net::kDnsFlagTc >> 8)) != 0);
}

TEST_CASE("dns responder: AAAA answers, on an IPv6 listener too", "[dns][ipv6]") {
    auto ip6 = *net::parse_ipv6("fd00:1::2");
    net::DnsView view{
        .lookup = [](const std::string&, const std::string& name) {
            return name == "web" ? std::vector<uint32_t>{0x0a590002} : std::vector<uint32_t>{};
        },
        .lookup6 = [&](const std::string&, const std::string& name) {
            return name == "web" ? std::vector<net::Ipv6Addr>{ip6} : std::vector<net::Ipv6Addr>{};
        },
        .reverse6 = [&](const std::string&, const net::Ipv6Addr& a) -> std::optional<std::string> {
            if (a == ip6) return "web";
            return std::nullopt;
        },
    };
    net::DnsResponder r(view);
    UniqueFd l(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (!l || ::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        WARN("no IPv6 loopback here: the IPv6 listener is not tested");
        return;
    }
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
    int lfd = l.get();
    r.add_listener6("n", std::move(l));
    auto fds = r.fds();
    CHECK(std::find(fds.begin(), fds.end(), lfd) != fds.end());
    UniqueFd c(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    timeval tv{2, 0};
    ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto ask = [&](uint16_t type, const char* name = "web") {
        std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
        auto wire = net::encode_dns_name(name);
        REQUIRE(wire);
        q.insert(q.end(), wire->begin(), wire->end());
        q.insert(q.end(), {0, static_cast<uint8_t>(type), 0, 1});
        REQUIRE(::sendto(c.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
                static_cast<ssize_t>(q.size()));
        pollfd p{lfd, POLLIN, 0};
        REQUIRE(::poll(&p, 1, 2000) == 1);
        r.handle(lfd);
        std::vector<uint8_t> buf(512);
        ssize_t n = ::recv(c.get(), buf.data(), buf.size(), 0);
        REQUIRE(n > 12);
        buf.resize(static_cast<size_t>(n));
        return buf;
    };
    auto aaaa = ask(net::kDnsTypeAaaa);
    CHECK(aaaa[7] == 1);
    CHECK(std::equal(ip6.begin(), ip6.end(), aaaa.end() - 16));
    auto a4 = ask(net::kDnsTypeA);
    CHECK(a4[7] == 1);
    CHECK(a4[a4.size() - 1] == 2);
    CHECK(a4[a4.size() - 4] == 10);
    // fd00:1::2 backwards, a nibble a label.
    auto ptr = ask(net::kDnsTypePtr, "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa");
    CHECK(ptr[7] == 1);
    auto web = *net::encode_dns_name("web");
    CHECK(std::equal(web.begin(), web.end(), ptr.end() - static_cast<ptrdiff_t>(web.size())));
    r.remove_listener("n");
    fds = r.fds();
    CHECK(std::find(fds.begin(), fds.end(), lfd) == fds.end());
}

TEST_CASE("dns: ip6.arpa names", "[dns][ipv6]") {
    const char* name = "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa";
    CHECK(net::parse_ip6_arpa(name) == net::parse_ipv6("fd00:1::2"));
    CHECK(net::parse_ip6_arpa("B.A.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.D.F.IP6.ARPA.") ==
          net::parse_ipv6("fd00::ab"));
    CHECK_FALSE(net::parse_ip6_arpa("2.0.0.0.ip6.arpa"));  // too short
    CHECK_FALSE(net::parse_ip6_arpa("g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa"));
    CHECK_FALSE(net::parse_ip6_arpa("20.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"));
    CHECK_FALSE(net::parse_ip6_arpa("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.in-addr.arpa"));
}
