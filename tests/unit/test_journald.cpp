#include <catch2/catch.hpp>

#include "container/journald.hpp"

using namespace skiff::container;

TEST_CASE("journald native protocol datagrams", "[journald]") {
    CHECK(journal_datagram({{"MESSAGE", "hello"}, {"PRIORITY", "6"}}) == "MESSAGE=hello\nPRIORITY=6\n");
    // A value with a newline: KEY\n, 64-bit little-endian length, value, \n.
    std::string d = journal_datagram({{"MESSAGE", "a\nb"}});
    CHECK(d == std::string("MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\n", 20));
    CHECK(journal_datagram({{"MESSAGE", ""}}) == "MESSAGE=\n");
}

TEST_CASE("journald tag: the name, or a template over the container", "[journald]") {
    std::string id = "0123456789abcdef0123";
    CHECK(journal_tag("", id, "web", "busybox", "sha") == "web");
    CHECK(journal_tag("{{.Name}}-{{.ID}}", id, "web", "busybox", "sha") == "web-0123456789ab");
    CHECK(journal_tag("app/{{.ImageName}}", id, "web", "busybox", "sha") == "app/busybox");
    CHECK(journal_tag("{{.FullID}}", id, "web", "busybox", "sha") == id);
}
