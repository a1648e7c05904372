#include <catch2/catch.hpp>
#include <unistd.h>

#include "container/logs.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace skiff;

TEST_CASE("k8s-file log lines round trip", "[container]") {
    char tmpl[] = "/tmp/skiff-log-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    {
        container::LogWriter w(dir + "/log", "k8s-file", 0);
        w.write(false, "hello\nwor");
        w.write(true, "ld\n");
    }
    auto lines = str::split(fs::read_file(dir + "/log"), '\n');
    REQUIRE(lines.size() == 4);
    container::LogLine l;
    REQUIRE(container::parse_log_line(lines[0], l));
    CHECK(l.text == "hello");
    CHECK_FALSE(l.partial);
    CHECK_FALSE(l.is_stderr);
    REQUIRE(container::parse_log_line(lines[1], l));
    CHECK(l.text == "wor");
    CHECK(l.partial);
    REQUIRE(container::parse_log_line(lines[2], l));
    CHECK(l.is_stderr);
    CHECK(l.time_ns > 0);
    fs::remove_all(dir);
}

TEST_CASE("json-file log lines and rotation", "[container]") {
    char tmpl[] = "/tmp/skiff-log-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    {
        container::LogWriter w(dir + "/log", "json-file", 200);
        for (int i = 0; i < 10; ++i) w.write(false, "line number " + std::to_string(i) + "\n");
    }
    CHECK(fs::exists(dir + "/log.1"));
    container::LogLine l;
    auto lines = str::split(fs::read_file(dir + "/log.1"), '\n');
    REQUIRE(container::parse_log_line(lines[0], l));
    CHECK(l.text.rfind("line number", 0) == 0);
    CHECK_FALSE(container::parse_log_line("garbage", l));
    fs::remove_all(dir);
}
