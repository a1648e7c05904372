#include <catch2/catch.hpp>

#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

using namespace skiff;

TEST_CASE("human_size matches Docker's units.HumanSize", "[util]") {
    CHECK(str::human_size(0) == "0B");
    CHECK(str::human_size(999) == "999B");
    CHECK(str::human_size(1000) == "1kB");
    CHECK(str::human_size(1234567) == "1.235MB");
    CHECK(str::human_size(4404019) == "4.404MB");
}

TEST_CASE("bytes_size uses binary units", "[util]") {
    CHECK(str::bytes_size(1024) == "1KiB");
    CHECK(str::bytes_size(1536 * 1024.0 * 1024) == "1.5GiB");
}

TEST_CASE("parse_ram_bytes follows Docker's RAMInBytes", "[util]") {
    CHECK(str::parse_ram_bytes("1024") == 1024);
    CHECK(str::parse_ram_bytes("512m") == 512LL * 1024 * 1024);
    CHECK(str::parse_ram_bytes("1g") == 1024LL * 1024 * 1024);
    CHECK(str::parse_ram_bytes("1GB") == 1024LL * 1024 * 1024);
    CHECK(str::parse_ram_bytes("100k") == 102400);
    CHECK_THROWS_AS(str::parse_ram_bytes("12x"), Error);
    CHECK_THROWS_AS(str::parse_ram_bytes("m"), Error);
}

TEST_CASE("human_duration matches Docker's wording", "[util]") {
    CHECK(str::human_duration(0) == "Less than a second");
    CHECK(str::human_duration(1) == "1 second");
    CHECK(str::human_duration(30) == "30 seconds");
    CHECK(str::human_duration(60) == "About a minute");
    CHECK(str::human_duration(300) == "5 minutes");
    CHECK(str::human_duration(3600) == "About an hour");
    CHECK(str::human_duration(7200) == "2 hours");
    CHECK(str::human_duration(3 * 86400) == "3 days");
}

TEST_CASE("edit distance and split", "[util]") {
    CHECK(str::edit_distance("ps", "pss") == 1);
    CHECK(str::edit_distance("images", "imgaes") == 2);
    CHECK(str::split("a:b::c", ':') == std::vector<std::string>{"a", "b", "", "c"});
    CHECK(str::split_once("k=v=w", '=') == std::pair<std::string, std::string>{"k", "v=w"});
    CHECK(str::trim("  x \n") == "x");
}

TEST_CASE("time parsing and printing", "[util]") {
    CHECK(timeutil::rfc3339_nano(1700000000123456789LL) == "2023-11-14T22:13:20.123456789Z");
    CHECK(timeutil::parse_time("2023-11-14T22:13:20.5Z", 0) == 1700000000500000000LL);
    CHECK(timeutil::parse_time("2023-11-14T23:13:20+01:00", 0) == 1700000000000000000LL);
    CHECK(timeutil::parse_time("1700000000", 0) == 1700000000000000000LL);
    CHECK(timeutil::parse_time("10m", 1000000000000LL) == 1000000000000LL - 600000000000LL);
    CHECK(timeutil::parse_time("1h30m", 10000000000000LL) == 10000000000000LL - 5400000000000LL);
    CHECK_THROWS_AS(timeutil::parse_time("yesterday", 0), Error);
}
