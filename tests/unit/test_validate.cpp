#include <signal.h>

#include <catch2/catch.hpp>
#include <string>

#include "container/users.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/validate.hpp"

using namespace skiff;

namespace {

// The message a validator throws for `fn`, "" when it accepts.
template <typename F>
std::string refusal(F fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("validate::shown keeps a value on one short line", "[validate]") {
    CHECK(validate::shown("abc") == "\"abc\"");
    CHECK(validate::shown("a\nb\tc\x01") == "\"a\\nb\\tc\\x01\"");
    CHECK(validate::shown(std::string(100, 'x')) == "\"" + std::string(64, 'x') + "…\" (100 characters)");
}

TEST_CASE("validate::boolean reads Go's ParseBool words only", "[validate]") {
    for (const char* t : {"1", "t", "T", "true", "TRUE", "True"}) CHECK(validate::boolean(t, "readonly"));
    for (const char* f : {"0", "f", "F", "false", "FALSE", "False"}) CHECK_FALSE(validate::boolean(f, "readonly"));
    for (const char* b : {"maybe", "", "yes", "tRUE", "2", " true"})
        CHECK_THROWS_AS(validate::boolean(b, "readonly"), Error);
    CHECK(refusal([] { validate::boolean("maybe", "readonly"); }) == "invalid readonly \"maybe\": expected true or false");
}

TEST_CASE("validate::integer refuses overflow, junk and out-of-range values", "[validate]") {
    CHECK(validate::integer("42", "n", 0, 100) == 42);
    CHECK(validate::integer("-1", "n", -1, 100) == -1);
    CHECK_THROWS_AS(validate::integer("-2", "n", -1, 100), Error);
    CHECK_THROWS_AS(validate::integer("5x", "n", 0, 100), Error);
    CHECK_THROWS_AS(validate::integer("", "n", 0, 100), Error);
    CHECK_THROWS_AS(validate::integer("+5", "n", 0, 100), Error);
    CHECK_THROWS_AS(validate::integer("99999999999999999999", "n", 0, INT64_MAX), Error);
}

TEST_CASE("validate::decimal and cpus refuse nan, inf, overflow and Docker's out-of-range values", "[validate]") {
    CHECK(validate::decimal("1.5", "x") == 1.5);
    CHECK(validate::decimal(".5", "x") == 0.5);
    CHECK(validate::decimal("1e-1", "x") == Approx(0.1));
    for (const char* b : {"nan", "NaN", "inf", "-inf", "infinity", "1e309", "0x10", "-1", "1.2.3", "", ".", "e5", "1e"})
        CHECK_THROWS_AS(validate::decimal(b, "--cpus"), Error);
    CHECK(validate::cpus("0", 4) == 0);  // no limit, as Docker
    CHECK(validate::cpus("0.01", 4) == 0.01);
    CHECK(validate::cpus("4", 4) == 4);
    CHECK_THROWS_AS(validate::cpus("0.0001", 4), Error);
    CHECK_THROWS_AS(validate::cpus("4.5", 4), Error);
    CHECK(refusal([] { validate::cpus("0.0001", 2); }) ==
          "invalid --cpus \"0.0001\": range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
}

TEST_CASE("validate::id and user keep IDs within 0..2^32-2", "[validate]") {
    CHECK(validate::id("0", "uid") == 0);
    CHECK(validate::id("4294967294", "uid") == 4294967294u);
    CHECK_THROWS_AS(validate::id("4294967295", "uid"), Error);
    CHECK_THROWS_AS(validate::id("99999999999", "uid"), Error);
    CHECK_NOTHROW(validate::user("nobody"));
    CHECK_NOTHROW(validate::user("1000:1000"));
    CHECK_NOTHROW(validate::user("app:staff"));
    CHECK_THROWS_AS(validate::user("99999999999"), Error);
    CHECK_THROWS_AS(validate::user("0:99999999999"), Error);
    CHECK_THROWS_AS(validate::user(":0"), Error);
    CHECK_THROWS_AS(validate::user("a b"), Error);
}

TEST_CASE("validate::signal reads Docker's names and numbers", "[validate]") {
    CHECK(validate::signal("KILL") == SIGKILL);
    CHECK(validate::signal("sigterm") == SIGTERM);
    CHECK(validate::signal("SIGUSR1") == SIGUSR1);
    CHECK(validate::signal("9") == 9);
    CHECK(validate::signal("IOT") == SIGABRT);
    CHECK(validate::signal("RTMIN") == SIGRTMIN);
    CHECK(validate::signal("RTMIN+3") == SIGRTMIN + 3);
    CHECK(validate::signal("SIGRTMAX-1") == SIGRTMAX - 1);
    for (const char* b : {"SIGFOO", "", "SIG", "0", "65", "999999999999", "RTMIN+99", "RTMIN-1", "-9", "9x"})
        CHECK_THROWS_AS(validate::signal(b), Error);
    CHECK(refusal([] { validate::signal("SIGFOO"); }) == "invalid signal: SIGFOO");
}

TEST_CASE("validate::ip and extra_host check addresses", "[validate]") {
    CHECK(validate::is_ip("1.2.3.4"));
    CHECK(validate::is_ip("::1"));
    CHECK(validate::is_ip("fd00::53"));
    for (const char* b : {"999.1.1.1", "1.2.3", "1.2.3.4/24", "fe80::1%eth0", "", "localhost", " 1.2.3.4"})
        CHECK_FALSE(validate::is_ip(b));
    CHECK(validate::extra_host("db:10.1.2.3") == "db:10.1.2.3");
    CHECK(validate::extra_host("db=10.1.2.3") == "db:10.1.2.3");
    CHECK(validate::extra_host("v6:::1") == "v6:::1");
    CHECK(validate::extra_host("v6=[fd00::1]") == "v6:fd00::1");
    CHECK(validate::extra_host("gw:host-gateway") == "gw:host-gateway");
    for (const char* b : {"bad", ":1.2.3.4", "db:", "db:999.1.1.1", "db:notanip", "a\nb:1.2.3.4", "a b:1.2.3.4"})
        CHECK_THROWS_AS(validate::extra_host(b), Error);
}

TEST_CASE("validate::dns_search and printable", "[validate]") {
    CHECK(validate::dns_search("example.com") == "example.com");
    CHECK(validate::dns_search(".") == ".");
    CHECK(validate::dns_search("a.test.") == "a.test.");
    for (const char* b : {"bad domain", "-a.com", "a..b", "", "a\nnameserver 1.1.1.1"})
        CHECK_THROWS_AS(validate::dns_search(b), Error);
    CHECK_NOTHROW(validate::printable("ndots:3", "--dns-option"));
    CHECK_THROWS_AS(validate::printable("a\nnameserver 6.6.6.6", "--dns-option"), Error);
}

TEST_CASE("validate::capability knows the kernel's capabilities", "[validate]") {
    CHECK(validate::capability("net_admin", "--cap-add") == "CAP_NET_ADMIN");
    CHECK(validate::capability("CAP_SYS_ADMIN", "--cap-add") == "CAP_SYS_ADMIN");
    CHECK(validate::capability("all", "--cap-drop") == "ALL");
    CHECK(validate::capability_names().size() == 41);
    CHECK(refusal([] { validate::capability("BOGUS", "--cap-add"); }) ==
          "invalid --cap-add \"BOGUS\": unknown capability: \"CAP_BOGUS\"");
    CHECK_THROWS_AS(validate::capability("", "--cap-add"), Error);
}

TEST_CASE("validate::hostname keeps to the kernel's 64 bytes", "[validate]") {
    CHECK(validate::hostname("box1") == "box1");
    CHECK(validate::hostname(std::string(64, 'h')) == std::string(64, 'h'));
    CHECK_THROWS_AS(validate::hostname(std::string(65, 'h')), Error);
    CHECK_THROWS_AS(validate::hostname("a b"), Error);
    CHECK_THROWS_AS(validate::hostname("a\nb"), Error);
    // The message stays one short line.
    auto msg = refusal([] { validate::hostname(std::string(100, 'h')); });
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find("(100 characters)") != std::string::npos);
}

TEST_CASE("validate::container_path and mount_destination", "[validate]") {
    CHECK(validate::container_path("/a//b/../c/", "-w") == "/a/c");
    CHECK(validate::container_path("/", "-w") == "/");
    CHECK_THROWS_AS(validate::container_path("rel", "-w"), Error);
    CHECK_THROWS_AS(validate::container_path("/" + std::string(6000, 'w'), "-w"), Error);
    CHECK_THROWS_AS(validate::container_path("/" + std::string(256, 'w'), "-w"), Error);
    std::string deep;
    while (deep.size() < 4100) deep += "/" + std::string(200, 'd');
    CHECK_THROWS_AS(validate::container_path(deep, "-w"), Error);
    CHECK(validate::mount_destination("/data/", "-v") == "/data");
    CHECK(validate::mount_destination("/sys", "-v") == "/sys");
    CHECK(validate::mount_destination("/dev", "-v") == "/dev");
    CHECK(validate::mount_destination("/proc/cpuinfo", "-v") == "/proc/cpuinfo");
    CHECK(validate::mount_destination("/procfs", "-v") == "/procfs");
    for (const char* b : {"/", "//", "/x/..", "/proc", "/proc/", "/proc/sys", "/x/../proc/1"})
        CHECK_THROWS_AS(validate::mount_destination(b, "-v"), Error);
}

TEST_CASE("validate::volume_mode refuses conflicting options", "[validate]") {
    std::vector<std::string> all = {"ro", "rw", "z", "Z", "shared", "rshared", "private", "nocopy", "noexec", "exec"};
    CHECK(validate::volume_mode("ro", "s", all) == std::vector<std::string>{"ro"});
    CHECK(validate::volume_mode("ro,z,rshared,nocopy", "s", all).size() == 4);
    for (const char* b : {"ro,rw", "rw,rw", "z,Z", "shared,private", "nocopy,nocopy", "exec,noexec", "bogus", "ro,"})
        CHECK_THROWS_AS(validate::volume_mode(b, "s", all), Error);
    CHECK(refusal([&] { validate::volume_mode("ro,rw", "/d:/x:ro,rw", all) ; }) ==
          "invalid volume specification \"/d:/x:ro,rw\": invalid mode: ro,rw");
}

TEST_CASE("validate::tmpfs_options checks the values the kernel would refuse", "[validate]") {
    CHECK(validate::tmpfs_options("size=64m,mode=1777,noexec", "/x").size() == 3);
    CHECK(validate::tmpfs_options("size=50%,uid=1000,gid=1000,nr_inodes=10k,huge=within_size", "/x").size() == 5);
    for (const char* b : {"size=abc", "size=", "size=1.5g", "mode=999", "mode=abc", "uid=-1", "uid=99999999999",
                          "bogus", "bogus=1", "huge=sometimes", "nr_inodes=x"})
        CHECK_THROWS_AS(validate::tmpfs_options(b, "/x"), Error);
    CHECK(validate::octal_mode("0755", "mode") == 0755);
    CHECK_THROWS_AS(validate::octal_mode("17777", "mode"), Error);
}

TEST_CASE("validate::cpu_list reads cpuset lists", "[validate]") {
    CHECK(validate::cpu_list("0-2,5", "--cpuset-cpus") == std::set<unsigned>{0, 1, 2, 5});
    CHECK(validate::cpu_list("1", "--cpuset-cpus") == std::set<unsigned>{1});
    for (const char* b : {"abc", "", "3-1", "0-", "-1", "0,,1", "99999999"})
        CHECK_THROWS_AS(validate::cpu_list(b, "--cpuset-cpus"), Error);
}

TEST_CASE("validate::ulimit and sysctl_key", "[validate]") {
    auto u = validate::ulimit("nofile=100:200");
    CHECK(u.name == "nofile");
    CHECK(u.soft == 100);
    CHECK(u.hard == 200);
    CHECK(validate::ulimit("memlock=-1").hard == UINT64_MAX);
    for (const char* b : {"nofile", "bogus=1", "nofile=abc", "nofile=200:100", "nofile=1:", "nofile=99999999999999999999"})
        CHECK_THROWS_AS(validate::ulimit(b), Error);
    CHECK(validate::sysctl_key("kernel.msgmax") == "kernel.msgmax");
    CHECK(validate::sysctl_key("net.ipv4.ip_forward") == "net.ipv4.ip_forward");
    CHECK(validate::sysctl_key("net/ipv4/ping_group_range") == "net/ipv4/ping_group_range");
    CHECK(validate::sysctl_key("fs.mqueue.msg_max") == "fs.mqueue.msg_max");
    for (const char* b : {"foo.bar", "kernel.hostname", "vm.swappiness", "net..x", "", "net.a b"})
        CHECK_THROWS_AS(validate::sysctl_key(b), Error);
}

TEST_CASE("parse_ram_bytes refuses malformed and overflowing sizes", "[validate]") {
    CHECK(str::parse_ram_bytes("1.5k") == 1536);
    CHECK(str::parse_ram_bytes("10 MiB") == 10LL * 1024 * 1024);
    CHECK(str::parse_ram_bytes("7ib") == 7);
    for (const char* b : {"99999999999999999999g", "8e", "1.2.3m", "1e3", "-5m", "1..5", "5.m", "inf", "nan", "1gg"})
        CHECK_THROWS_AS(str::parse_ram_bytes(b), Error);
    CHECK(str::parse_ram_bytes("8191p") > 0);
    CHECK_THROWS_AS(str::parse_ram_bytes("8192p"), Error);
}

TEST_CASE("resolve_user_in: names from an image's files, IDs never truncated", "[validate]") {
    const std::string passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nbad:x:abc:1::/:/bin/sh\n";
    const std::string group = "root:x:0:\nstaff:x:50:app\n";
    auto u = container::resolve_user_in(passwd, group, "app", {});
    CHECK(u.uid == 1000);
    CHECK(u.gid == 1000);
    CHECK(u.home == "/home/app");
    CHECK(u.additional_gids == std::vector<gid_t>{50});
    CHECK(container::resolve_user_in(passwd, group, "4294967294", {}).uid == 4294967294u);
    CHECK(refusal([&] { container::resolve_user_in(passwd, group, "nosuchuser", {}); }) ==
          "unable to find user nosuchuser: no matching entries in passwd file");
    CHECK_THROWS_AS(container::resolve_user_in(passwd, group, "0:nosuchgroup", {}), Error);
    CHECK_THROWS_AS(container::resolve_user_in(passwd, group, "", {"nosuchgroup"}), Error);
    CHECK_THROWS_AS(container::resolve_user_in(passwd, group, "99999999999", {}), Error);
    // A malformed image file is an error, not a crash.
    CHECK_THROWS_AS(container::resolve_user_in(passwd, group, "bad", {}), Error);
}
