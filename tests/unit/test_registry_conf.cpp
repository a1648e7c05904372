#include <catch2/catch.hpp>

#include "registry/registries_conf.hpp"
#include "registry/repository.hpp"
#include "registry/session.hpp"
#include "util/error.hpp"

using namespace skiff;
using namespace skiff::registry;

namespace {
RegistriesConf parse(const std::string& text) {
    RegistriesConf c;
    parse_registries_conf(text, "test.conf", c);
    return c;
}
}  // namespace

TEST_CASE("registries.conf v2 parses", "[registry]") {
    auto c = parse(R"(
unqualified-search-registries = ["quay.io", "docker.io"]
short-name-mode = "enforcing"

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"

[[registry]]
location = "localhost:5000"
insecure = true

[[registry]]
prefix = "docker.io/library"
location = "mirror.local/hub"
[[registry.mirror]]
location = "cache.local:5000/hub"
[[registry.mirror]]
location = "digests.local/hub"
pull-from-mirror = "digest-only"

[[registry]]
location = "bad.example.com"
blocked = true
)");
    CHECK(c.search == std::vector<std::string>{"quay.io", "docker.io"});
    CHECK(c.aliases.at("fedora") == "registry.fedoraproject.org/fedora");
    REQUIRE(c.find("localhost:5000/x"));
    CHECK(c.find("localhost:5000/x")->insecure);
    CHECK_FALSE(c.find("localhost:5001/x"));

    auto src = pull_sources(c, image::parse_reference("busybox"));
    REQUIRE(src.size() == 2);
    CHECK(src[0].ref.full() == "cache.local:5000/hub/busybox:latest");
    CHECK(src[0].mirror);
    CHECK(src[1].ref.full() == "mirror.local/hub/busybox:latest");
    std::string d = "sha256:" + std::string(64, 'b');
    CHECK(pull_sources(c, image::parse_reference("busybox@" + d)).size() == 3);
    // Other docker.io namespaces are not covered by the docker.io/library prefix.
    CHECK(pull_sources(c, image::parse_reference("user/app")).front().ref.full() == "docker.io/user/app:latest");
    CHECK_THROWS_WITH(pull_sources(c, image::parse_reference("bad.example.com/x")), Catch::Contains("blocked"));
}

TEST_CASE("registries.conf v1 tables still work", "[registry]") {
    auto c = parse(R"(
[registries.search]
registries = ["registry.access.redhat.com", "docker.io"]
[registries.insecure]
registries = ["myreg:5000"]
[registries.block]
registries = ["evil.io"]
)");
    CHECK(c.search.size() == 2);
    CHECK(c.find("myreg:5000/a")->insecure);
    CHECK(c.find("evil.io/a")->blocked);
}

TEST_CASE("bad registries.conf names the file and line", "[registry]") {
    CHECK_THROWS_WITH(parse("unqualified-search-registries = \"docker.io\"\n"), Catch::Contains("test.conf:1"));
    CHECK_THROWS_WITH(parse("[[registry]]\ninsecure = \"yes\"\n"), Catch::Contains("test.conf:2"));
    CHECK_THROWS_WITH(parse("this is not toml"), Catch::Contains("test.conf"));
}

TEST_CASE("short names resolve through aliases and search registries", "[registry]") {
    auto c = parse(R"(
unqualified-search-registries = ["quay.io", "docker.io"]
[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
)");
    auto cands = short_name_candidates(c, "busybox:1.36");
    REQUIRE(cands.size() == 2);
    CHECK(cands[0].full() == "quay.io/busybox:1.36");
    CHECK(cands[1].full() == "docker.io/library/busybox:1.36");
    bool alias = false;
    cands = short_name_candidates(c, "fedora:39", &alias);
    REQUIRE(cands.size() == 1);
    CHECK(alias);
    CHECK(cands[0].full() == "registry.fedoraproject.org/fedora:39");
    CHECK(short_name_candidates(c, "fedora")[0].full() == "registry.fedoraproject.org/fedora:latest");
    CHECK(short_name_candidates(c, "localhost:5000/a/b")[0].full() == "localhost:5000/a/b:latest");
    // Nothing configured: Docker's rule, docker.io.
    RegistriesConf empty;
    cands = short_name_candidates(empty, "alpine");
    REQUIRE(cands.size() == 1);
    CHECK(cands[0].full() == "docker.io/library/alpine:latest");
}

TEST_CASE("loopback hosts may speak plain HTTP", "[registry]") {
    CHECK(is_loopback_host("localhost:5000"));
    CHECK(is_loopback_host("127.0.0.1:5000"));
    CHECK(is_loopback_host("127.1.2.3"));
    CHECK(is_loopback_host("[::1]:5000"));
    CHECK_FALSE(is_loopback_host("example.com:5000"));
    CHECK_FALSE(is_loopback_host("localhost.example.com"));
}

TEST_CASE("Link headers give the next page", "[registry]") {
    CHECK(next_link("</v2/_catalog?last=b&n=2>; rel=\"next\"") == "/v2/_catalog?last=b&n=2");
    CHECK(next_link("<https://r.example/v2/x/tags/list?last=t>; rel=\"next\"") == "/v2/x/tags/list?last=t");
    CHECK(next_link("") == "");
}
