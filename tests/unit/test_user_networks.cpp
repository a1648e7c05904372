// User-defined networks: address choice, --network values, the nft table,
// the /etc files of a container on a network.
#include <catch2/catch.hpp>

#include "net/etc_files.hpp"
#include "net/ipam.hpp"
#include "net/modes.hpp"
#include "net/nft_rules.hpp"
#include "util/error.hpp"

using namespace skiff;

TEST_CASE("addresses come from the range, never the gateway, network or broadcast", "[net][ipam]") {
    auto p = net::pool_of("10.89.0.0/24", "", "10.89.0.1");
    CHECK(net::ipv4_string(net::next_free_address(p, {}, "n")) == "10.89.0.2");
    std::set<uint32_t> used = {*net::parse_ipv4("10.89.0.2"), *net::parse_ipv4("10.89.0.3")};
    CHECK(net::ipv4_string(net::next_free_address(p, used, "n")) == "10.89.0.4");
    auto gw_last = net::pool_of("10.90.0.0/30", "", "10.90.0.2");
    CHECK(net::ipv4_string(net::next_free_address(gw_last, {}, "n")) == "10.90.0.1");
    CHECK_THROWS_AS(net::next_free_address(gw_last, {*net::parse_ipv4("10.90.0.1")}, "n"), Error);
    auto ranged = net::pool_of("10.91.0.0/24", "10.91.0.128/30", "10.91.0.1");
    CHECK(net::ipv4_string(net::next_free_address(ranged, {}, "n")) == "10.91.0.128");
    auto ranged_end = net::pool_of("10.91.0.0/24", "10.91.0.252/30", "10.91.0.1");
    std::set<uint32_t> taken;
    for (int i = 0; i < 3; ++i) taken.insert(net::next_free_address(ranged_end, taken, "n"));
    CHECK_THROWS_AS(net::next_free_address(ranged_end, taken, "n"), Error);  // .255 is the broadcast
}

TEST_CASE("a requested address is checked", "[net][ipam]") {
    auto p = net::pool_of("10.89.0.0/24", "", "10.89.0.1");
    CHECK(net::ipv4_string(net::check_requested_address(p, "10.89.0.50", {}, "n")) == "10.89.0.50");
    CHECK_THROWS_AS(net::check_requested_address(p, "10.89.0.1", {}, "n"), Error);
    CHECK_THROWS_AS(net::check_requested_address(p, "10.89.0.0", {}, "n"), Error);
    CHECK_THROWS_AS(net::check_requested_address(p, "10.89.0.255", {}, "n"), Error);
    CHECK_THROWS_AS(net::check_requested_address(p, "10.88.0.5", {}, "n"), Error);
    CHECK_THROWS_AS(net::check_requested_address(p, "nonsense", {}, "n"), Error);
    CHECK_THROWS_AS(net::check_requested_address(p, "10.89.0.9", {*net::parse_ipv4("10.89.0.9")}, "n"), Error);
}

TEST_CASE("--network values: one mode, or user-defined networks together", "[net]") {
    auto one = net::parse_network_flags({"my-net"});
    CHECK(one.mode == "networks");
    CHECK(one.names == std::vector<std::string>{"my-net"});
    auto two = net::parse_network_flags({"a", "b"});
    CHECK(two.names.size() == 2);
    CHECK(net::parse_network_flags({}).mode == "private");
    CHECK(net::parse_network_flags({"bridge"}).mode == "private");
    CHECK(net::parse_network_flags({"none"}).mode == "none");
    CHECK_THROWS_AS(net::parse_network_flags({"a", "none"}), Error);
    CHECK_THROWS_AS(net::parse_network_flags({"a", "a"}), Error);
    CHECK_THROWS_AS(net::parse_network_flags({"bad name"}), Error);
    CHECK_THROWS_AS(net::parse_network_flags({"a,b"}), Error);
}

TEST_CASE("the nft table: masquerade out, internal networks closed, networks apart", "[net][nft]") {
    auto s = net::nft_script("skiff", {{"br-a", "10.89.0.0/24", false}, {"br-b", "10.89.1.0/24", true}});
    CHECK(s.rfind("add table ip skiff\ndelete table ip skiff\n", 0) == 0);
    CHECK(s.find("ip saddr 10.89.0.0/24 ip daddr != 10.89.0.0/24 oifname != \"br-a\" masquerade") != std::string::npos);
    CHECK(s.find("10.89.1.0/24 ip daddr") == std::string::npos);  // internal: no masquerade
    CHECK(s.find("iifname \"br-b\" oifname != \"br-b\" reject") != std::string::npos);
    CHECK(s.find("iifname \"br-a\" oifname \"br-b\" reject") != std::string::npos);
    CHECK(s.find("iifname \"br-b\" oifname \"br-a\" reject") != std::string::npos);
    CHECK(s.find("iifname \"br-b\" udp dport 53 accept") != std::string::npos);
    CHECK(s.find("iifname \"br-a\" reject") == std::string::npos);
    CHECK(net::nft_script("skiff", {}) == "add table ip skiff\ndelete table ip skiff\n");
    auto d = net::nft_script("t", {{"br-a", "10.89.0.0/24", false}},
                             {{"tcp", "", 8080, "10.89.0.2", 80}, {"udp", "192.0.2.1", 53, "10.89.0.2", 5353},
                              {"tcp", "127.0.0.1", 8081, "10.89.0.2", 81}, {"tcp", "::1", 8082, "10.89.0.2", 82}});
    CHECK(d.find("iifname != { \"br-a\" } fib daddr type local tcp dport 8080 dnat ip to 10.89.0.2:80") !=
          std::string::npos);
    CHECK(d.find("iifname != { \"br-a\" } ip daddr 192.0.2.1 udp dport 53 dnat ip to 10.89.0.2:5353") !=
          std::string::npos);
    // Loopback mappings: only the host's own clients (output), masqueraded.
    CHECK(d.find("iifname != { \"br-a\" } ip daddr 127.0.0.1") == std::string::npos);
    CHECK(d.find("    ip daddr 127.0.0.1 tcp dport 8081 dnat ip to 10.89.0.2:81") != std::string::npos);
    CHECK(d.find("ip saddr 127.0.0.0/8 oifname \"br-a\" masquerade") != std::string::npos);
    CHECK(d.find("8082") == std::string::npos);  // IPv6: the relay's
}

TEST_CASE("a container on a network resolves through its responders", "[net]") {
    net::EtcFiles e;
    e.hostname = "abc";
    e.dns = {"127.0.0.9"};
    e.dns_responders = {"10.89.0.1", "10.89.1.1"};
    CHECK(net::resolv_file(e, "nameserver 10.0.0.1\nsearch corp.test\n") ==
          "search dns.podman corp.test\nnameserver 10.89.0.1\nnameserver 10.89.1.1\n");
}
