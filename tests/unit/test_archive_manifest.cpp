#include <catch2/catch.hpp>

#include "image/archive_manifest.hpp"
#include "util/error.hpp"

using namespace skiff;
using namespace skiff::image;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

// The message of what `fn` throws: a skiff::Error on one line, never a
// JSON library exception.
template <typename Fn>
std::string refusal(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        std::string msg = e.what();
        CHECK(msg.find('\n') == std::string::npos);
        CHECK(msg.find("json.exception") == std::string::npos);
        CHECK(msg.rfind("archive: ", 0) == 0);
        return msg;
    }
    FAIL("not refused");
    return "";
}

}  // namespace

TEST_CASE("docker-archive manifest.json of the wrong shape is one clear error", "[image][archive]") {
    CHECK_THAT(refusal([] { parse_docker_manifest("[[]]"); }), Catch::Contains("entry 1 is not an object"));
    CHECK_THAT(refusal([] { parse_docker_manifest("{}"); }), Catch::Contains("is not a list"));
    CHECK_THAT(refusal([] { parse_docker_manifest("[]"); }), Catch::Contains("lists no images"));
    CHECK_THAT(refusal([] { parse_docker_manifest("[{\"Config\":1,\"Layers\":[]}]"); }),
               Catch::Contains("\"Config\" that is not a string"));
    CHECK_THAT(refusal([] { parse_docker_manifest("[{\"Config\":\"c.json\"}]"); }), Catch::Contains("no \"Layers\""));
    CHECK_THAT(refusal([] { parse_docker_manifest("[{\"Config\":\"c\",\"Layers\":[1]}]"); }),
               Catch::Contains("not a string"));
    CHECK_THAT(refusal([] { parse_docker_manifest("[{\"Config\":\"c\",\"Layers\":{}}]"); }),
               Catch::Contains("not a list"));
    CHECK_THAT(refusal([] { parse_docker_manifest("[{\"Config\":\"c\",\"Layers\":[],\"RepoTags\":\"a\"}]"); }),
               Catch::Contains("RepoTags"));
    CHECK_THAT(refusal([] { parse_docker_manifest("[{\"Config\":\"c\",\"Layers\":[]"); }),
               Catch::Contains("not valid JSON"));
    CHECK_THAT(refusal([] { parse_docker_manifest(std::string(100000, '[')); }), Catch::Contains("not valid JSON"));
}

TEST_CASE("a well-formed manifest.json is read as it is", "[image][archive]") {
    auto e = parse_docker_manifest(R"([{"Config":"c.json","RepoTags":["a:1","b:2"],"Layers":["l/layer.tar"]},
                                       {"Config":"d.json","RepoTags":null,"Layers":[]}])");
    REQUIRE(e.size() == 2);
    CHECK(e[0].config == "c.json");
    CHECK(e[0].repo_tags == std::vector<std::string>{"a:1", "b:2"});
    CHECK(e[0].layers == std::vector<std::string>{"l/layer.tar"});
    CHECK(e[1].repo_tags.empty());
}

TEST_CASE("OCI index and manifests of the wrong shape are one clear error", "[image][archive]") {
    CHECK_THAT(refusal([] { parse_oci_index("[]", "index.json"); }), Catch::Contains("not an object"));
    CHECK_THAT(refusal([] { parse_oci_index("{}", "index.json"); }), Catch::Contains("no \"manifests\""));
    CHECK_THAT(refusal([] { parse_oci_index(R"({"manifests":[]})", "index.json"); }), Catch::Contains("no images"));
    CHECK_THAT(refusal([] { parse_oci_index(R"({"manifests":[[]]})", "index.json"); }),
               Catch::Contains("entry 1 is not an object"));
    CHECK_THAT(refusal([] { parse_oci_index(R"({"manifests":[{"digest":"sha256:../../etc/passwd"}]})", "index.json"); }),
               Catch::Contains("unsupported digest"));
    CHECK_THAT(refusal([] { parse_oci_index(R"({"manifests":[{"digest":"md5:abc"}]})", "index.json"); }),
               Catch::Contains("unsupported digest"));
    CHECK_THAT(refusal([&] { parse_oci_index(R"({"manifests":[{"digest":")" + kDigest + R"(","size":-1}]})", "i"); }),
               Catch::Contains("whole number"));
    CHECK_THAT(refusal([&] {
                   parse_oci_index(R"({"manifests":[{"digest":")" + kDigest + R"(","size":18446744073709551615}]})", "i");
               }),
               Catch::Contains("too large"));
    CHECK_THAT(refusal([&] { parse_oci_index(R"({"manifests":[{"digest":")" + kDigest + R"(","size":1.5}]})", "i"); }),
               Catch::Contains("whole number"));
    CHECK_THAT(refusal([] { parse_oci_manifest(R"({"layers":[]})", ""); }), Catch::Contains("no \"config\""));
    CHECK_THAT(refusal([] { parse_oci_manifest(R"({"config":[],"layers":[]})", ""); }),
               Catch::Contains("not an object"));
    CHECK_THAT(refusal([&] { parse_oci_manifest(R"({"config":{"digest":")" + kDigest + R"("},"layers":{}})", ""); }),
               Catch::Contains("not a list"));
    // A digest's message shows no control characters (one line).
    CHECK_THAT(refusal([] { parse_oci_index("{\"manifests\":[{\"digest\":\"sha256:\\nx\"}]}", "index.json"); }),
               Catch::Contains("sha256:?x"));
}

TEST_CASE("OCI descriptors keep digest, size and the reference name", "[image][archive]") {
    auto d = parse_oci_index(R"({"manifests":[{"mediaType":"m","digest":")" + kDigest +
                                 R"(","size":12,"annotations":{"org.opencontainers.image.ref.name":"x/y:1"}}]})",
                             "index.json");
    REQUIRE(d.size() == 1);
    CHECK(d[0].digest == kDigest);
    CHECK(d[0].size == 12);
    CHECK(d[0].ref_name == "x/y:1");
    auto m = parse_oci_manifest(R"({"config":{"digest":")" + kDigest + R"("},"layers":[{"digest":")" + kDigest + R"("}]})",
                                "");
    CHECK_FALSE(m.is_index);
    CHECK(m.layers.size() == 1);
    CHECK_FALSE(m.layers[0].size);
    auto idx = parse_oci_manifest(R"({"manifests":[]})", "");
    CHECK(idx.is_index);
}

TEST_CASE("the image config's diff IDs are checked for their form", "[image][archive]") {
    CHECK(config_diff_ids("{}").empty());
    CHECK(config_diff_ids(R"({"rootfs":{"type":"layers","diff_ids":[")" + kDigest + R"("]}})") ==
          std::vector<std::string>{kDigest});
    CHECK_THAT(refusal([] { config_diff_ids("[]"); }), Catch::Contains("not an object"));
    CHECK_THAT(refusal([] { config_diff_ids(R"({"rootfs":[]})"); }), Catch::Contains("not an object"));
    CHECK_THAT(refusal([] { config_diff_ids(R"({"rootfs":{"diff_ids":[1]}})"); }), Catch::Contains("not a string"));
    CHECK_THAT(refusal([] { config_diff_ids(R"({"rootfs":{"diff_ids":["sha256:../x"]}})"); }),
               Catch::Contains("unsupported digest"));
    CHECK_THAT(refusal([] { config_diff_ids(R"({"rootfs":{"diff_ids":["noalgorithm"]}})"); }),
               Catch::Contains("unsupported digest"));
}

TEST_CASE("blob paths come only from well-formed digests", "[image][archive]") {
    CHECK(blob_path(kDigest) == "blobs/sha256/" + std::string(64, 'a'));
    CHECK_THROWS_AS(blob_path("sha256:" + std::string(64, 'A')), Error);
    CHECK_THROWS_AS(blob_path("sha256:" + std::string(63, 'a') + "/"), Error);
}
