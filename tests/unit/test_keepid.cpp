#include <catch2/catch.hpp>

#include "container/keepid.hpp"
#include "util/error.hpp"

using namespace skiff::container;

TEST_CASE("keep-id: the nested mapping puts the user at its own ID", "[keepid]") {
    // skiff's namespace: 0 = the user, 1..65536 = the subordinate range.
    auto parent = parse_ns_map("         0       1000          1\n         1     100000      65536\n");
    REQUIRE(parent.size() == 2);
    CHECK(mapped_count(parent) == 65537);
    auto m = keep_id_mapping(1000, 65537);
    REQUIRE(m.size() == 3);
    CHECK(m[0] == NsIdMap{0, 1, 1000});
    CHECK(m[1] == NsIdMap{1000, 0, 1});
    CHECK(m[2] == NsIdMap{1001, 1001, 64536});
    // An ID beyond the range: everything below it still maps.
    auto big = keep_id_mapping(200000, 65537);
    REQUIRE(big.size() == 2);
    CHECK(big[0] == NsIdMap{0, 1, 65536});
    CHECK(big[1] == NsIdMap{200000, 0, 1});
    // Without subordinate ranges: only the user.
    auto single = keep_id_mapping(1000, 1);
    REQUIRE(single.size() == 1);
    CHECK(single[0] == NsIdMap{1000, 0, 1});
}

TEST_CASE("keep-id: modes", "[keepid]") {
    CHECK(is_nested_userns_mode("keep-id"));
    CHECK(is_nested_userns_mode("keep-id:uid=5"));
    CHECK_FALSE(is_nested_userns_mode("nomap"));
    CHECK_FALSE(is_nested_userns_mode("host"));
    CHECK_THROWS_AS(parse_userns_mode("nomap"), skiff::Error);
    auto m = parse_userns_mode("keep-id:uid=200,gid=210");
    CHECK(*m.uid == 200);
    CHECK(*m.gid == 210);
    CHECK_FALSE(parse_userns_mode("keep-id").uid);
    CHECK_THROWS_AS(parse_userns_mode("keep-id:uid=x"), skiff::Error);
    CHECK_THROWS_AS(parse_userns_mode("keep-id:size=3"), skiff::Error);
}

TEST_CASE("keep-id: passwd and group entries", "[keepid]") {
    std::string passwd = "root:x:0:0:root:/root:/bin/sh\n";
    CHECK(passwd_with(passwd, "alice", 1000, 1000, "/home/alice") ==
          passwd + "alice:*:1000:1000:alice:/home/alice:/bin/sh\n");
    CHECK(passwd_with("root:x:0:0:root:/root:/bin/sh", "a", 5, 5, "/") ==
          "root:x:0:0:root:/root:/bin/sh\na:*:5:5:a:/:/bin/sh\n");
    // The ID is there already: left alone.
    CHECK(passwd_with(passwd, "root2", 0, 0, "/") == passwd);
    CHECK(group_with("root:x:0:\n", "alice", 1000) == "root:x:0:\nalice:x:1000:alice\n");
    CHECK(group_with("root:x:0:\n", "alice", 0) == "root:x:0:\n");
}
