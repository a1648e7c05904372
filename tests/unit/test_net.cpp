#include <catch2/catch.hpp>

#include "net/etc_files.hpp"
#include "net/helpers.hpp"
#include "net/ports.hpp"
#include "util/error.hpp"

using namespace skiff;
using net::PortMapping;

TEST_CASE("parse_publish forms", "[net]") {
    CHECK(net::parse_publish("80") == std::vector<PortMapping>{{"", 0, 80, "tcp"}});
    CHECK(net::parse_publish("8080:80") == std::vector<PortMapping>{{"", 8080, 80, "tcp"}});
    CHECK(net::parse_publish("127.0.0.1:8080:80/udp") == std::vector<PortMapping>{{"127.0.0.1", 8080, 80, "udp"}});
    CHECK(net::parse_publish("127.0.0.1::80") == std::vector<PortMapping>{{"127.0.0.1", 0, 80, "tcp"}});
    CHECK(net::parse_publish("0.0.0.0:81:80") == std::vector<PortMapping>{{"", 81, 80, "tcp"}});
    CHECK(net::parse_publish("[::1]:8080:80") == std::vector<PortMapping>{{"::1", 8080, 80, "tcp"}});
    auto r = net::parse_publish("8000-8002:80-82/TCP");
    REQUIRE(r.size() == 3);
    CHECK(r[2] == PortMapping{"", 8002, 82, "tcp"});
    CHECK(net::parse_publish("90-91").size() == 2);
}

TEST_CASE("parse_publish errors", "[net]") {
    CHECK_THROWS_AS(net::parse_publish("8000-8001:80"), Error);
    CHECK_THROWS_AS(net::parse_publish("70000:80"), Error);
    CHECK_THROWS_AS(net::parse_publish("80/sctp"), Error);
    CHECK_THROWS_AS(net::parse_publish("80/icmp"), Error);
    CHECK_THROWS_AS(net::parse_publish("a:b:c:d"), Error);
    CHECK_THROWS_AS(net::parse_publish("1.2.3:80:80"), Error);
    CHECK_THROWS_AS(net::parse_publish("8080:"), Error);
    CHECK_THROWS_AS(net::parse_publish("90-80"), Error);
}

TEST_CASE("plan_ports with -P adds exposed ports once", "[net]") {
    auto p = net::plan_ports({"8080:80"}, true, {"80/tcp", "53/udp", "7000-7001"});
    REQUIRE(p.size() == 4);
    CHECK(p[0] == PortMapping{"", 8080, 80, "tcp"});
    CHECK(p[1] == PortMapping{"", 0, 53, "udp"});
    CHECK(net::plan_ports({}, false, {"80/tcp"}).empty());
}

TEST_CASE("assign_host_ports picks free ports and refuses duplicates", "[net]") {
    std::vector<PortMapping> p = {{"127.0.0.1", 0, 80, "tcp"}, {"127.0.0.1", 0, 53, "udp"}};
    net::assign_host_ports(p);
    CHECK(p[0].host_port != 0);
    CHECK(p[1].host_port != 0);
    std::vector<PortMapping> dup = {{"", 9999, 80, "tcp"}, {"127.0.0.1", 9999, 81, "tcp"}};
    CHECK_THROWS_AS(net::assign_host_ports(dup), Error);
}

TEST_CASE("port formats", "[net]") {
    std::vector<PortMapping> p = {{"", 8000, 80, "tcp"}, {"", 8001, 81, "tcp"}, {"127.0.0.1", 5353, 53, "udp"}};
    CHECK(net::format_ports(p) == "0.0.0.0:8000-8001->80-81/tcp, 127.0.0.1:5353->53/udp");
    auto lines = net::port_lines(p, "");
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "80/tcp -> 0.0.0.0:8000");
    CHECK(net::port_lines(p, "53/udp") == std::vector<std::string>{"127.0.0.1:5353"});
    CHECK(net::port_lines(p, "53").empty());
    auto j = net::docker_port_map(p, {"443/tcp"});
    CHECK(j["80/tcp"][0]["HostPort"] == "8000");
    CHECK(j["443/tcp"].is_null());
    CHECK(net::ports_from_json(net::ports_to_json(p)) == p);
}

TEST_CASE("hosts file", "[net]") {
    net::EtcFiles e;
    e.hostname = "abc";
    e.name = "web";
    e.container_ip = "192.0.2.2";
    e.host_gateway = "192.0.2.1";
    e.add_hosts = {"db:10.1.2.3", "gw:host-gateway"};
    auto h = net::hosts_file(e);
    CHECK(h.find("192.0.2.2\tabc web\n") != std::string::npos);
    CHECK(h.find("192.0.2.1\thost.containers.internal host.docker.internal\n") != std::string::npos);
    CHECK(h.find("10.1.2.3\tdb\n") != std::string::npos);
    CHECK(h.find("192.0.2.1\tgw\n") != std::string::npos);
    CHECK(h.find("fd00::") == std::string::npos);
    e.container_ip6 = "fd00:1:2:3::2";
    CHECK(net::hosts_file(e).find("192.0.2.2\tabc web\nfd00:1:2:3::2\tabc web\n") != std::string::npos);
    e.add_hosts = {"bad"};
    CHECK_THROWS_AS(net::hosts_file(e), Error);
}

TEST_CASE("resolv.conf translates loopback resolvers", "[net]") {
    net::EtcFiles e;
    e.dns_forward = "169.254.1.1";
    std::string host = "search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.1\noptions edns0\n";
    CHECK(net::resolv_file(e, host) ==
          "search example.org\nnameserver 169.254.1.1\nnameserver 10.0.0.1\noptions edns0\n");
    e.dns = {"127.0.0.9"};
    e.dns_search = {"a.test"};
    e.dns_options = {"ndots:2"};
    CHECK(net::resolv_file(e, host) == "search a.test\nnameserver 127.0.0.9\noptions ndots:2\n");
    net::EtcFiles none;
    CHECK(net::resolv_file(none, host) == "search example.org\nnameserver 10.0.0.1\noptions edns0\n");
    // Root's default bridge without IPv6: the host's IPv6 resolvers cannot be reached.
    net::EtcFiles v4;
    v4.dns_forward = "172.17.0.1";
    v4.ipv4_only = true;
    std::string host6 = "nameserver ::1\nnameserver 2001:db8::53\nnameserver 10.0.0.1\n";
    CHECK(net::resolv_file(v4, host6) == "nameserver 172.17.0.1\nnameserver 10.0.0.1\n");
    v4.ipv4_only = false;
    CHECK(net::resolv_file(v4, host6) == "nameserver 172.17.0.1\nnameserver 2001:db8::53\nnameserver 10.0.0.1\n");
}

TEST_CASE("pasta command line", "[net]") {
    auto a = net::pasta_argv("/run/x/netns", {{"127.0.0.1", 8080, 80, "tcp"}}, "/run/x/pid");
    auto has = [&](const std::string& flag, const std::string& value) {
        for (size_t i = 0; i + 1 < a.size(); ++i)
            if (a[i] == flag && a[i + 1] == value) return true;
        return false;
    };
    CHECK(has("--tcp-ports", "127.0.0.1/8080:80"));
    CHECK(has("--udp-ports", "none"));
    CHECK(has("--netns", "/run/x/netns"));
    CHECK_FALSE(has("--tcp-ports", "none"));
}

#include "net/cidr.hpp"
#include "net/host_addresses.hpp"

TEST_CASE("CIDR parsing and subnet choice", "[net]") {
    auto n = net::parse_cidr("10.89.3.0/24");
    CHECK(net::cidr_string(n) == "10.89.3.0/24");
    CHECK(n.contains(*net::parse_ipv4("10.89.3.77")));
    CHECK_FALSE(n.contains(*net::parse_ipv4("10.89.4.1")));
    CHECK(net::ipv4_string(net::default_gateway(n)) == "10.89.3.1");
    CHECK(net::parse_cidr("10.0.0.0/8").overlaps(n));
    CHECK_THROWS_AS(net::parse_cidr("10.89.3.1/24"), Error);
    CHECK_THROWS_AS(net::parse_cidr("10.89.3.0"), Error);
    CHECK_THROWS_AS(net::parse_cidr("10.89.3.0/33"), Error);
    CHECK_THROWS_AS(net::parse_cidr("fd00::/64"), Error);
    CHECK(net::cidr_string(net::next_free_subnet({})) == "10.89.0.0/24");
    CHECK(net::cidr_string(net::next_free_subnet({net::parse_cidr("10.89.0.0/24"), net::parse_cidr("10.89.1.0/25")})) ==
          "10.89.2.0/24");
    CHECK(net::cidr_string(net::next_free_subnet({net::parse_cidr("10.89.0.0/23")})) == "10.89.2.0/24");
    // A host on 10.0.0.0/8 leaves Podman's pool none: Docker's is next.
    CHECK(net::cidr_string(net::next_free_subnet({net::parse_cidr("10.0.0.0/8")})) == "172.16.0.0/24");
    CHECK(net::cidr_string(net::next_free_subnet({net::parse_cidr("10.0.0.0/8"), net::parse_cidr("172.16.0.0/16"),
                                                  net::parse_cidr("172.17.0.0/24")})) == "172.17.1.0/24");
    CHECK_THROWS_AS(net::next_free_subnet({net::parse_cidr("10.0.0.0/8"), net::parse_cidr("172.16.0.0/12")}), Error);
}

TEST_CASE("a host address's subnet: its prefix's, a VPN's /32 alone", "[net]") {
    net::HostAddress lan{.iface = "eth0", .address = *net::parse_ipv4("192.168.1.7"), .prefix = 24};
    CHECK(net::cidr_string(lan.subnet()) == "192.168.1.0/24");
    net::HostAddress vpn{.iface = "tun0", .address = *net::parse_ipv4("172.17.5.2"), .prefix = 32};
    CHECK(net::cidr_string(vpn.subnet()) == "172.17.5.2/32");
    CHECK(net::cidr_string(net::default_bridge_subnet({vpn.subnet()})) == "172.18.0.0/16");
    net::HostAddress odd{.iface = "eth1", .address = *net::parse_ipv4("10.89.0.9"), .prefix = 0};
    CHECK(net::cidr_string(odd.subnet()) == "10.89.0.9/32");
}

TEST_CASE("the default network's subnet avoids the host's routes and other networks", "[net]") {
    auto cidr = [](const char* s) { return net::parse_cidr(s); };
    CHECK(net::cidr_string(net::default_bridge_subnet({})) == "172.17.0.0/16");
    CHECK(net::cidr_string(net::default_bridge_subnet({cidr("172.17.5.0/24")})) == "172.18.0.0/16");
    CHECK(net::cidr_string(net::default_bridge_subnet({cidr("172.16.0.0/14"), cidr("172.20.0.0/16")})) ==
          "172.21.0.0/16");
    CHECK(net::cidr_string(net::default_bridge_subnet({cidr("172.16.0.0/12")})) == "10.88.0.0/16");
    CHECK_THROWS_AS(net::default_bridge_subnet({cidr("172.16.0.0/12"), cidr("10.0.0.0/8")}), Error);
}

TEST_CASE("/proc/net/route: destinations with their prefixes, default routes left out", "[net]") {
    // The kernel's words are network-order integers printed natively (little-endian here).
    std::string text =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
        "short line\n";
    auto routes = net::parse_proc_net_route(text);
    REQUIRE(routes.size() == 2);
    CHECK(routes[0].iface == "eth0");
    CHECK(net::cidr_string(routes[0].destination) == "192.0.2.0/24");
    CHECK(routes[1].iface == "docker0");
    CHECK(net::cidr_string(routes[1].destination) == "172.17.0.0/16");
}
