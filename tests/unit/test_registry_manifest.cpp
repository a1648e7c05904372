#include <catch2/catch.hpp>

#include "registry/manifest.hpp"
#include "registry/recompress.hpp"
#include "util/error.hpp"

using namespace skiff;
using namespace skiff::registry;

namespace {

Json entry(const std::string& arch, const std::string& variant, char digit) {
    Json p = {{"os", "linux"}, {"architecture", arch}};
    if (!variant.empty()) p["variant"] = variant;
    return {{"mediaType", media::kOciManifest}, {"digest", "sha256:" + std::string(64, digit)}, {"size", 100}, {"platform", p}};
}

}  // namespace

TEST_CASE("platforms parse and normalize", "[registry]") {
    auto p = parse_platform("linux/arm64/v8");
    CHECK(p.os == "linux");
    CHECK(p.arch == "arm64");
    CHECK(p.variant == "v8");
    CHECK(parse_platform("x86_64").arch == "amd64");
    CHECK(parse_platform("linux/aarch64").arch == "arm64");
    CHECK_THROWS(parse_platform("a/b/c/d"));
    auto r = requested_platform("", "", "arm", "v6");
    CHECK(r.str() == "linux/arm/v6");
    CHECK(requested_platform("linux/arm64", "", "", "").str() == "linux/arm64");
}

TEST_CASE("an index entry is chosen by platform", "[registry]") {
    Json index = {{"schemaVersion", 2},
                  {"mediaType", media::kOciIndex},
                  {"manifests", {entry("amd64", "", 'a'), entry("arm64", "v8", 'b'), entry("arm", "v6", 'c'),
                                 entry("arm", "v7", 'd')}}};
    CHECK(select_platform(index, {"linux", "amd64", ""}, "x").digest == "sha256:" + std::string(64, 'a'));
    CHECK(select_platform(index, {"linux", "arm64", ""}, "x").digest == "sha256:" + std::string(64, 'b'));
    CHECK(select_platform(index, {"linux", "arm64", "v8"}, "x").digest == "sha256:" + std::string(64, 'b'));
    CHECK(select_platform(index, {"linux", "arm", "v7"}, "x").digest == "sha256:" + std::string(64, 'd'));
    CHECK(select_platform(index, {"linux", "arm", "v6"}, "x").digest == "sha256:" + std::string(64, 'c'));
    CHECK_THROWS_WITH(select_platform(index, {"linux", "s390x", ""}, "img"),
                      Catch::Contains("s390x") && Catch::Contains("linux/arm64/v8"));
    CHECK_THROWS(select_platform(index, {"windows", "amd64", ""}, "img"));
}

TEST_CASE("manifest kinds", "[registry]") {
    CHECK(manifest_kind(media::kDockerList, Json::object()) == ManifestKind::Index);
    CHECK(manifest_kind("application/json", {{"schemaVersion", 1}}) == ManifestKind::Schema1);
    CHECK(manifest_kind(media::kDockerSchema1Signed, Json::object()) == ManifestKind::Schema1);
    CHECK(manifest_kind("", {{"mediaType", media::kOciManifest}}) == ManifestKind::Image);
    CHECK(manifest_kind("", {{"schemaVersion", 2}, {"config", {}}, {"layers", {}}}) == ManifestKind::Image);
    CHECK(manifest_kind("text/plain", Json::object()) == ManifestKind::Unknown);
}

TEST_CASE("image manifests parse and digests are checked", "[registry]") {
    std::string d = "sha256:" + std::string(64, 'e');
    Json m = {{"schemaVersion", 2},
              {"mediaType", media::kDockerManifest},
              {"config", {{"mediaType", media::kDockerConfig}, {"digest", d}, {"size", 10}}},
              {"layers", {{{"mediaType", media::kDockerLayerGzip}, {"digest", d}, {"size", 20}}}}};
    auto im = parse_image_manifest(m, "");
    CHECK(im.media_type == media::kDockerManifest);
    CHECK(im.layers.size() == 1);
    CHECK(im.layers[0].size == 20);
    m["layers"][0]["digest"] = "md5:abc";
    CHECK_THROWS_WITH(parse_image_manifest(m, ""), Catch::Contains("sha256"));
    m["layers"][0]["digest"] = d;
    m["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
    CHECK_THROWS_WITH(parse_image_manifest(m, ""), Catch::Contains("encrypted"));
}

TEST_CASE("a blob recompresses with its digests", "[registry]") {
    std::string plain(300000, 'x');
    for (size_t i = 0; i < plain.size(); i += 7) plain[i] = static_cast<char>('a' + i % 26);
    std::string zst;
    layers::CompressWriter w([&](const char* d, size_t n) { zst.append(d, n); }, layers::Compression::Zstd);
    w.write(plain.data(), plain.size());
    auto zd = w.finish();
    size_t pos = 0;
    layers::ReadFn src = [&](char* buf, size_t len) {
        size_t n = std::min(len, zst.size() - pos);
        std::memcpy(buf, zst.data() + pos, n);
        pos += n;
        return n;
    };
    Recompressor rc(src, layers::Compression::Gzip);
    std::string gz;
    char buf[4096];
    while (size_t n = rc.read(buf, sizeof buf)) gz.append(buf, n);
    CHECK(layers::detect_compression(gz) == layers::Compression::Gzip);
    CHECK(rc.digests().diff_id == zd.diff_id);
    CHECK(rc.digests().compressed_size == gz.size());
    CHECK(rc.digests().digest == "sha256:" + Sha256::of(gz));
}
