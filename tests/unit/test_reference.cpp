#include <catch2/catch.hpp>

#include "image/reference.hpp"
#include "util/error.hpp"

using namespace skiff;
using image::parse_reference;

TEST_CASE("references normalize as Docker's do", "[image]") {
    CHECK(parse_reference("ubuntu").full() == "docker.io/library/ubuntu:latest");
    CHECK(parse_reference("ubuntu:22.04").full() == "docker.io/library/ubuntu:22.04");
    CHECK(parse_reference("user/app").full() == "docker.io/user/app:latest");
    CHECK(parse_reference("docker.io/library/busybox:1").full() == "docker.io/library/busybox:1");
    CHECK(parse_reference("index.docker.io/library/busybox").full() == "docker.io/library/busybox:latest");
    CHECK(parse_reference("localhost/busybox").full() == "localhost/busybox:latest");
    CHECK(parse_reference("localhost:5000/a/b:v1").full() == "localhost:5000/a/b:v1");
    CHECK(parse_reference("127.0.0.1:5000/x").domain == "127.0.0.1:5000");
    CHECK(parse_reference("quay.io/podman/hello").had_domain);
    CHECK_FALSE(parse_reference("busybox").had_domain);
}

TEST_CASE("references with digests", "[image]") {
    std::string d = "sha256:" + std::string(64, 'a');
    auto r = parse_reference("busybox@" + d);
    CHECK(r.tag.empty());
    CHECK(r.digest == d);
    CHECK(r.full() == "docker.io/library/busybox@" + d);
    CHECK(parse_reference("busybox:1@" + d).full() == "docker.io/library/busybox:1@" + d);
}

TEST_CASE("familiar names", "[image]") {
    CHECK(parse_reference("busybox").familiar() == "busybox:latest");
    CHECK(parse_reference("user/app:2").familiar() == "user/app:2");
    CHECK(parse_reference("localhost/x").familiar() == "localhost/x:latest");
}

TEST_CASE("malformed references are refused", "[image]") {
    CHECK_THROWS_AS(parse_reference(""), Error);
    CHECK_THROWS_AS(parse_reference("Busybox"), Error);
    CHECK_THROWS_AS(parse_reference("busybox:bad tag"), Error);
    CHECK_THROWS_AS(parse_reference("busybox@sha256:abc"), Error);
    CHECK_THROWS_AS(parse_reference("a//b"), Error);
    CHECK_THROWS_AS(parse_reference("-a"), Error);
}

TEST_CASE("repository names over 255 characters are refused with Docker's message", "[image]") {
    // "library/" counts, as in Docker's normalized name.
    CHECK_NOTHROW(parse_reference(std::string(247, 'a')));
    CHECK_THROWS_WITH(parse_reference(std::string(248, 'a')),
                      "invalid reference format: repository name must not be more than 255 characters");
    CHECK_NOTHROW(parse_reference("quay.io/" + std::string(255, 'b')));
    CHECK_THROWS_AS(parse_reference("quay.io/" + std::string(256, 'b')), Error);
    CHECK_THROWS_AS(parse_reference(std::string(300, 'r') + ".io/x"), Error);
    CHECK_THROWS_AS(parse_reference("busybox:" + std::string(129, 't')), Error);
    // The message of a long malformed reference stays short.
    try {
        parse_reference(std::string(1000, 'A'));
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).size() < 200);
    }
}

TEST_CASE("image IDs are recognised", "[image]") {
    CHECK(image::looks_like_id(std::string(64, 'f')));
    CHECK(image::looks_like_id("sha256:" + std::string(64, '0')));
    CHECK_FALSE(image::looks_like_id("busybox"));
}
