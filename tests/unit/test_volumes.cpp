#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "container/volume_opts.hpp"
#include "util/error.hpp"

using namespace skiff;
using namespace skiff::container;

TEST_CASE("volume names follow Docker's pattern", "[volumes]") {
    CHECK(valid_volume_name("data"));
    CHECK(valid_volume_name("my-vol_1.2"));
    CHECK(valid_volume_name("0a"));
    CHECK_FALSE(valid_volume_name("a"));  // [a-zA-Z0-9][a-zA-Z0-9_.-]+: two at least
    CHECK_FALSE(valid_volume_name(""));
    CHECK_FALSE(valid_volume_name(".."));
    CHECK_FALSE(valid_volume_name("../x"));
    CHECK_FALSE(valid_volume_name("a/b"));
    CHECK_FALSE(valid_volume_name("-ab"));
    CHECK_FALSE(valid_volume_name("_ab"));
    CHECK_FALSE(valid_volume_name("a b"));
    CHECK_FALSE(valid_volume_name("ab:c"));
    CHECK_THROWS_WITH(check_volume_name("a/b"),
                      Catch::Contains("\"a/b\" includes invalid characters for a local volume name"));
    CHECK_THROWS_WITH(check_volume_name("a/b", true), Catch::Contains("use absolute path"));
}

TEST_CASE("-v: anonymous, named and bind forms", "[volumes]") {
    auto anon = parse_volume_flag("/data");
    REQUIRE(anon);
    CHECK(anon->type == "volume");
    CHECK(anon->source.empty());
    CHECK(anon->destination == "/data");

    auto named = parse_volume_flag("cache:/var/cache:ro,nocopy,z");
    REQUIRE(named);
    CHECK(named->source == "cache");
    CHECK(named->destination == "/var/cache");
    CHECK(named->options == std::vector<std::string>{"ro", "nocopy", "z"});
    CHECK(parse_volume_flag("cache:/x:rw")->options.empty());

    CHECK_FALSE(parse_volume_flag("/host:/ctr"));
    CHECK_FALSE(parse_volume_flag("./rel:/ctr"));

    CHECK_THROWS_WITH(parse_volume_flag("data"), Catch::Contains("must be absolute"));
    CHECK_THROWS_WITH(parse_volume_flag("vol:rel"), Catch::Contains("must be absolute"));
    CHECK_THROWS_WITH(parse_volume_flag("vol:/x:bogus"), Catch::Contains("invalid volume option \"bogus\""));
    CHECK_THROWS_WITH(parse_volume_flag("a/b:/x"), Catch::Contains("includes invalid characters"));
    CHECK_THROWS_WITH(parse_volume_flag("v:/a:ro:x"), Catch::Contains("invalid volume specification"));
    CHECK_THROWS(parse_volume_flag(":/x"));
    CHECK_THROWS(parse_volume_flag(""));
}

TEST_CASE("the local driver's options", "[volumes]") {
    auto none = parse_local_options({}, true);
    CHECK_FALSE(none.mounted());

    auto tmp = parse_local_options({{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=64m,noexec,uid=1000"}}, true);
    CHECK(tmp.mounted());
    CHECK(tmp.type == "tmpfs");
    CHECK(tmp.device == "tmpfs");
    CHECK((tmp.flags & MS_NOEXEC) != 0);
    CHECK(tmp.data == "size=64m,uid=1000");
    CHECK_FALSE(tmp.bind());

    auto b = parse_local_options({{"type", "none"}, {"device", "/srv/data"}, {"o", "bind,ro"}}, true);
    CHECK(b.bind());
    CHECK((b.flags & MS_RDONLY) != 0);
    CHECK((b.flags & MS_REC) == 0);
    CHECK((parse_local_options({{"type", "none"}, {"device", "/srv"}, {"o", "rbind"}}, true).flags & MS_REC) != 0);

    CHECK_THROWS_WITH(parse_local_options({{"size", "1g"}}, false), "invalid option: \"size\"");
    CHECK_THROWS_WITH(parse_local_options({{"type", "tmpfs"}}, false), "missing required option: \"device\"");
    CHECK_THROWS_WITH(parse_local_options({{"device", "/dev/sdb1"}}, false), "missing required option: \"type\"");
    CHECK_THROWS_WITH(parse_local_options({{"o", "size=1m"}}, false), "missing required option: \"device\"");
    CHECK_THROWS_WITH(parse_local_options({{"type", "none"}, {"device", "rel"}, {"o", "bind"}}, false),
                      Catch::Contains("absolute path"));
    // Rootless: only what a user namespace may mount.
    CHECK_THROWS_WITH(parse_local_options({{"type", "ext4"}, {"device", "/dev/sdb1"}}, true),
                      Catch::Contains("cannot be mounted by a rootless user"));
    CHECK_NOTHROW(parse_local_options({{"type", "ext4"}, {"device", "/dev/sdb1"}}, false));
}
