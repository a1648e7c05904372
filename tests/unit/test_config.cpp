#include <catch2/catch.hpp>

#include "state/config.hpp"
#include "util/error.hpp"

using namespace skiff;

TEST_CASE("config: defaults and overrides", "[state]") {
    auto c = state::parse_config("[storage]\ndriver = \"vfs\"\n[engine]\nruntime = \"runc\"\n", "x.conf");
    CHECK(c.storage_driver == "vfs");
    CHECK(c.runtime == "runc");
    CHECK(c.log_driver == "k8s-file");
    CHECK(c.default_capabilities.size() == 12);
}

TEST_CASE("config: errors name file, line and key", "[state]") {
    try {
        state::parse_config("[storage]\n\ndrver = \"vfs\"\n", "/etc/skiff/skiff.conf");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "/etc/skiff/skiff.conf:3: unknown key 'storage.drver'");
    }
    try {
        state::parse_config("[engine]\nlog_driver = \"syslog\"\n", "a.conf");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("a.conf:2: key 'engine.log_driver': invalid value \"syslog\"") == 0);
    }
    try {
        state::parse_config("[engine]\nruntime = 3\n", "a.conf");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "a.conf:2: key 'engine.runtime' must be a string");
    }
    CHECK_THROWS_WITH(state::parse_config("[engine\n", "b.conf"), Catch::Contains("b.conf:1:"));
}
