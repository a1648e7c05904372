// userns: subuid parsing, mappings, and entering the namespace for real
// (as root: a mount namespace only; unprivileged: a user namespace mapped
// through newuidmap, or just the caller's id without subordinate ranges).
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "layers/userns.hpp"
#include "test_layers_helpers.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace skiff::layers;
using namespace layers_test;

TEST_CASE("userns: subuid files are parsed by name and by id", "[layers]") {
    const char* content =
        "# comment\n"
        "alice:100000:65536\n"
        "bob:165536:65536\n"
        "1000:300000:1000\n"
        "alice:500000:10\n"
        "broken line\n"
        "alice:x:5\n"
        "alice:7:0\n"
        "carol:200000:65536\r\n";
    CHECK(parse_subids(content, "alice", 1000) ==
          std::vector<SubIdRange>{{100000, 65536}, {300000, 1000}, {500000, 10}});
    CHECK(parse_subids(content, "bob", 1001) == std::vector<SubIdRange>{{165536, 65536}});
    CHECK(parse_subids(content, "carol", 1002) == std::vector<SubIdRange>{{200000, 65536}});
    CHECK(parse_subids(content, "dave", 1003).empty());
    CHECK(read_subids("/nonexistent/subuid", "alice", 1000).empty());
}

TEST_CASE("userns: the mapping puts the user at 0 and the ranges after it", "[layers]") {
    auto m = build_mapping(1000, 1001, {{100000, 65536}, {300000, 10}}, {{200000, 65536}});
    CHECK_FALSE(m.single);
    CHECK(m.uids == std::vector<IdMapEntry>{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 10}});
    CHECK(m.gids == std::vector<IdMapEntry>{{0, 1001, 1}, {1, 200000, 65536}});
    CHECK(format_id_map(m.uids) == "0 1000 1\n1 100000 65536\n65537 300000 10\n");

    auto single = build_mapping(1000, 1000, {}, {{200000, 65536}});
    CHECK(single.single);
    CHECK(single.uids == std::vector<IdMapEntry>{{0, 1000, 1}});
    CHECK(single.gids == std::vector<IdMapEntry>{{0, 1000, 1}});
}

TEST_CASE("userns: no subordinate range is a warning with the fix, or an error", "[layers]") {
    TempDir d;
    spit(d / "subuid", "someoneelse:100000:65536\n");
    spit(d / "subgid", "someoneelse:100000:65536\n");
    UsernsOptions o;
    o.subuid_file = d / "subuid";
    o.subgid_file = d / "subgid";
    std::string warning;
    o.warn = [&](const std::string& w) { warning = w; };
    auto m = current_user_mapping(o);
    CHECK(m.single);
    CHECK(m.uids == std::vector<IdMapEntry>{{0, static_cast<uint32_t>(::getuid()), 1}});
    CHECK_THAT(warning, Catch::Contains("usermod --add-subuids 100000-165535 --add-subgids 100000-165535"));
    o.allow_single = false;
    CHECK_THROWS_WITH(current_user_mapping(o), Catch::Contains("usermod --add-subuids"));
}

namespace {

// Runs fn in the namespace; WARNs and returns -1 when this machine does not
// allow unprivileged user namespaces.
int try_userns(const std::function<int()>& fn, const IdMapping& m) {
    try {
        return run_in_userns(fn, m);
    } catch (const skiff::Error& e) {
        std::string msg = e.what();
        if (msg.find("create user namespace") != std::string::npos ||
            msg.find("newuidmap") != std::string::npos) {
            WARN("user namespaces unavailable here: " << msg);
            return -1;
        }
        throw;
    }
}

IdMapping quiet_mapping() {
    UsernsOptions o;
    o.warn = [](const std::string&) {};
    return is_root() ? IdMapping{} : current_user_mapping(o);
}

}  // namespace

TEST_CASE("userns: run_in_userns makes us root of a private mount namespace", "[layers]") {
    int rc = try_userns(
        [] {
            if (::getuid() != 0 || ::geteuid() != 0) return 10;
            if (!std::getenv(kInUsernsEnv)) return 11;
            // Mounting is allowed: we own this mount namespace.
            TempDir d;
            if (::mount("tmpfs", d.path().c_str(), "tmpfs", 0, "size=1m") < 0) return 12;
            ::umount2(d.path().c_str(), MNT_DETACH);
            return 42;
        },
        quiet_mapping());
    if (rc == -1) return;
    CHECK(rc == 42);
}

TEST_CASE("userns: errors thrown inside come back as exit codes", "[layers]") {
    int rc = try_userns([]() -> int { throw skiff::Error("inside", 3); }, quiet_mapping());
    if (rc == -1) return;
    CHECK(rc == 3);
}

TEST_CASE("userns: the mapping is the one asked for", "[layers]") {
    if (is_root()) {
        CHECK_FALSE(in_user_namespace());
        CHECK_FALSE(needs_user_namespace());
        return;
    }
    CHECK(needs_user_namespace());
    IdMapping m = quiet_mapping();
    int rc = try_userns(
        [&m] {
            auto map = skiff::fs::read_file("/proc/self/uid_map");
            // The kernel pads the columns; compare the numbers only.
            std::string squeezed;
            bool space = false;
            for (char c : map) {
                if (c == ' ') {
                    space = true;
                    continue;
                }
                if (space && !squeezed.empty() && squeezed.back() != '\n') squeezed += ' ';
                space = false;
                squeezed += c;
            }
            return squeezed == format_id_map(m.uids) && in_user_namespace() ? 0 : 1;
        },
        m);
    if (rc == -1) return;
    CHECK(rc == 0);
}

TEST_CASE("userns: unshare_exec runs a command with the marker set", "[layers]") {
    int rc;
    try {
        rc = unshare_exec({"sh", "-c", "test \"$_SKIFF_IN_USERNS\" = 1 && test \"$(id -u)\" = 0 && exit 7"});
    } catch (const skiff::Error& e) {
        WARN("user namespaces unavailable here: " << e.what());
        return;
    }
    CHECK(rc == 7);
    CHECK(unshare_exec({"/nonexistent/command"}) == 127);
}

TEST_CASE("userns: spawn_in_userns hands back a mapped child", "[layers]") {
    int pipefd[2];
    REQUIRE(::pipe(pipefd) == 0);
    skiff::Child child;
    try {
        child = spawn_in_userns(
            [&] {
                ::close(pipefd[1]);
                char c;
                // Waits until the test has looked at it.
                return ::read(pipefd[0], &c, 1) == 1 && ::getuid() == 0 ? 5 : 6;
            },
            quiet_mapping(), SpawnOptions{.die_with_parent = true});
    } catch (const skiff::Error& e) {
        WARN("user namespaces unavailable here: " << e.what());
        return;
    }
    ::close(pipefd[0]);
    // The map is written before spawn_in_userns returns.
    auto map = skiff::fs::read_file("/proc/" + std::to_string(child.pid()) + "/uid_map");
    if (!is_root()) CHECK(map.find(std::to_string(::getuid())) != std::string::npos);
    CHECK(::write(pipefd[1], "x", 1) == 1);
    ::close(pipefd[1]);
    CHECK(child.wait() == 5);
}
