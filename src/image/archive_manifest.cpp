#include "image/archive_manifest.hpp"

#include <limits>

#include "layers/safe_path.hpp"
#include "util/error.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace skiff::image {

namespace {

[[noreturn]] void bad(const std::string& what, const std::string& why) {
    throw Error("archive: " + what + " " + why);
}

Json parse(const std::string& text, const std::string& what) {
    try {
        return Json::parse(text);
    } catch (const Json::exception& e) {
        // "[json.exception.parse_error.101] parse error at …": the tag
        // means nothing to a user.
        std::string msg = e.what();
        if (auto close = msg.find("] "); msg.rfind("[json.", 0) == 0 && close != std::string::npos)
            msg = msg.substr(close + 2);
        bad(what, "is not valid JSON: " + msg);
    }
}

const Json* member(const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
}

std::string string_member(const Json& obj, const char* key, const std::string& what, bool required) {
    const Json* v = member(obj, key);
    if (!v) {
        if (required) bad(what, std::string("has no \"") + key + "\"");
        return "";
    }
    if (!v->is_string()) bad(what, std::string("has a \"") + key + "\" that is not a string");
    return v->get<std::string>();
}

std::vector<std::string> strings_member(const Json& obj, const char* key, const std::string& what,
                                        bool required) {
    std::vector<std::string> out;
    const Json* v = member(obj, key);
    if (!v) {
        if (required) bad(what, std::string("has no \"") + key + "\"");
        return out;
    }
    if (!v->is_array()) bad(what, std::string("has a \"") + key + "\" that is not a list");
    for (auto& s : *v) {
        if (!s.is_string()) bad(what, std::string("has a \"") + key + "\" entry that is not a string");
        out.push_back(s.get<std::string>());
    }
    return out;
}

std::string nth(size_t i) { return std::to_string(i + 1); }

Descriptor descriptor(const Json& d, const std::string& what) {
    if (!d.is_object()) bad(what, "is not an object");
    Descriptor out;
    out.media_type = string_member(d, "mediaType", what, false);
    out.digest = string_member(d, "digest", what, true);
    check_digest(out.digest, what);
    if (const Json* s = member(d, "size")) {
        // A size the blob must have: a negative or absurd one is a lie
        // told before any byte is read.
        if (s->is_number_unsigned() && s->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            bad(what, "has a size too large to be true");
        if (!s->is_number_integer() || s->get<int64_t>() < 0) bad(what, "has a size that is not a whole number of bytes");
        out.size = s->get<int64_t>();
    }
    if (const Json* ann = member(d, "annotations")) {
        if (!ann->is_object()) bad(what, "has annotations that are not an object");
        out.ref_name = string_member(*ann, "io.containerd.image.name", what + "'s annotations", false);
        if (out.ref_name.empty())
            out.ref_name = string_member(*ann, "org.opencontainers.image.ref.name", what + "'s annotations", false);
    }
    return out;
}

std::vector<Descriptor> descriptors(const Json& obj, const char* key, const std::string& what) {
    const Json* list = member(obj, key);
    if (!list) bad(what, std::string("has no \"") + key + "\"");
    if (!list->is_array()) bad(what, std::string("has \"") + key + "\" that is not a list");
    std::vector<Descriptor> out;
    for (size_t i = 0; i < list->size(); ++i)
        out.push_back(descriptor((*list)[i], what + " " + key + " entry " + nth(i)));
    return out;
}

}  // namespace

void check_digest(const std::string& digest, const std::string& what) {
    constexpr std::string_view kAlg = "sha256:";
    if (digest.rfind(kAlg, 0) != 0 || digest.size() != kAlg.size() + 64 || !str::is_hex(digest.substr(kAlg.size())))
        bad(what, "has an unsupported digest \"" + layers::printable(digest) + "\" (expected sha256:<64 hex digits>)");
}

std::string blob_path(const std::string& digest) {
    check_digest(digest, "a descriptor");
    return "blobs/sha256/" + digest.substr(7);
}

std::vector<DockerEntry> parse_docker_manifest(const std::string& text) {
    Json m = parse(text, "manifest.json");
    if (!m.is_array()) bad("manifest.json", "is not a list");
    if (m.empty()) bad("manifest.json", "lists no images");
    std::vector<DockerEntry> out;
    for (size_t i = 0; i < m.size(); ++i) {
        std::string what = "manifest.json entry " + nth(i);
        const Json& e = m[i];
        if (!e.is_object()) bad(what, "is not an object");
        DockerEntry d;
        d.config = string_member(e, "Config", what, true);
        if (d.config.empty()) bad(what, "names no image config");
        d.layers = strings_member(e, "Layers", what, true);
        d.repo_tags = strings_member(e, "RepoTags", what, false);
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<Descriptor> parse_oci_index(const std::string& text, const std::string& what) {
    Json index = parse(text, what);
    if (!index.is_object()) bad(what, "is not an object");
    auto out = descriptors(index, "manifests", what);
    if (out.empty()) bad(what, "lists no images");
    return out;
}

OciManifest parse_oci_manifest(const std::string& text, const std::string& media_type) {
    const std::string what = "image manifest";
    Json m = parse(text, what);
    if (!m.is_object()) bad(what, "is not an object");
    std::string mt = string_member(m, "mediaType", what, false);
    if (mt.empty()) mt = media_type;
    OciManifest out;
    if (mt.find("index") != std::string::npos || mt.find("manifest.list") != std::string::npos ||
        member(m, "manifests")) {
        out.is_index = true;
        out.manifests = descriptors(m, "manifests", "image index");
        return out;
    }
    const Json* config = member(m, "config");
    if (!config) bad(what, "has no \"config\"");
    out.config = descriptor(*config, what + " config");
    out.layers = descriptors(m, "layers", what);
    return out;
}

std::vector<std::string> config_diff_ids(const std::string& config_text) {
    const std::string what = "image config";
    Json c = parse(config_text, what);
    if (!c.is_object()) bad(what, "is not an object");
    const Json* rootfs = member(c, "rootfs");
    if (!rootfs) return {};
    if (!rootfs->is_object()) bad(what, "has a \"rootfs\" that is not an object");
    auto ids = strings_member(*rootfs, "diff_ids", what + " rootfs", false);
    for (size_t i = 0; i < ids.size(); ++i) check_digest(ids[i], what + " diff ID " + nth(i));
    return ids;
}

}  // namespace skiff::image
