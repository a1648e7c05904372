#include "registry/manifest.hpp"

#include "util/error.hpp"
#include "util/host.hpp"
#include "util/strings.hpp"

namespace skiff::registry {

namespace {

std::string default_variant(const std::string& arch) {
    // What Go (and so Podman) reports for these when nothing says otherwise.
    if (arch == "arm64") return "v8";
    if (arch == "arm") return "v7";
    return "";
}

Platform platform_of(const Json& d) {
    Platform p;
    if (d.contains("platform") && d["platform"].is_object()) {
        auto& pl = d["platform"];
        p.os = pl.value("os", "");
        p.arch = normalize_arch(pl.value("architecture", ""));
        p.variant = pl.value("variant", "");
    }
    return p;
}

// How well `have` serves `want`: 0 not at all, higher is better.
int match_score(const Platform& have, const Platform& want) {
    if (have.os != want.os || have.arch != want.arch) return 0;
    std::string hv = have.variant.empty() ? default_variant(have.arch) : have.variant;
    std::string wv = want.variant.empty() ? default_variant(want.arch) : want.variant;
    if (hv == wv) return 3;
    if (want.arch == "arm" && !hv.empty() && !wv.empty() && hv[0] == 'v' && wv[0] == 'v') {
        // An armv7 host runs v6 and v5 code: older is acceptable, newer is not.
        int h = std::atoi(hv.c_str() + 1), w = std::atoi(wv.c_str() + 1);
        return h < w ? 1 : 0;
    }
    // No variant asked for and none matching the default: any variant will do.
    return want.variant.empty() ? 1 : 0;
}

Descriptor descriptor_of(const Json& d, const std::string& what) {
    if (!d.is_object()) throw Error("invalid manifest: " + what + " is not an object");
    Descriptor out;
    out.media_type = d.value("mediaType", "");
    out.digest = d.value("digest", "");
    checked_digest(out.digest);
    if (d.contains("size") && d["size"].is_number_integer()) out.size = d["size"].get<int64_t>();
    if (d.contains("urls") && d["urls"].is_array())
        for (auto& u : d["urls"])
            if (u.is_string()) out.urls.push_back(u.get<std::string>());
    return out;
}

}  // namespace

std::string manifest_accept() {
    return std::string(media::kOciIndex) + ", " + media::kOciManifest + ", " + media::kDockerList + ", " +
           media::kDockerManifest + ", " + media::kDockerSchema1Signed + ";q=0.5, " + media::kDockerSchema1 + ";q=0.5";
}

std::string Platform::str() const { return os + "/" + arch + (variant.empty() ? "" : "/" + variant); }

std::string normalize_arch(const std::string& arch) {
    std::string a = str::lower(arch);
    if (a == "x86_64" || a == "x86-64") return "amd64";
    if (a == "aarch64") return "arm64";
    if (a == "i386" || a == "i686") return "386";
    if (a == "armhf" || a == "armel") return "arm";
    return a;
}

Platform host_platform() {
    Platform p{"linux", host::arch(), ""};
    p.arch = normalize_arch(p.arch);
    p.variant = default_variant(p.arch);
    return p;
}

Platform parse_platform(const std::string& text) {
    auto parts = str::split(text, '/');
    Platform p;
    if (parts.size() == 1) {
        p.arch = normalize_arch(parts[0]);
    } else if (parts.size() == 2 || parts.size() == 3) {
        p.os = str::lower(parts[0]);
        p.arch = normalize_arch(parts[1]);
        if (parts.size() == 3) p.variant = parts[2];
    } else {
        throw Error("invalid platform \"" + text + "\": expected OS/ARCH[/VARIANT]");
    }
    for (auto* f : {&p.os, &p.arch})
        if (f->empty() && parts.size() > 1) throw Error("invalid platform \"" + text + "\": expected OS/ARCH[/VARIANT]");
    return p;
}

Platform requested_platform(const std::string& platform, const std::string& os, const std::string& arch,
                            const std::string& variant) {
    Platform p;
    if (!platform.empty()) p = parse_platform(platform);
    if (!os.empty()) p.os = str::lower(os);
    if (!arch.empty()) p.arch = normalize_arch(arch);
    if (!variant.empty()) p.variant = variant;
    Platform host = host_platform();
    if (p.os.empty()) p.os = host.os;
    if (p.arch.empty()) {
        p.arch = host.arch;
        if (p.variant.empty()) p.variant = host.variant;
    }
    return p;
}

ManifestKind manifest_kind(const std::string& content_type, const Json& doc) {
    std::string ct = str::trim(content_type.substr(0, content_type.find(';')));
    std::string mt = doc.is_object() ? doc.value("mediaType", "") : "";
    for (const std::string& t : {mt, ct}) {
        if (t == media::kOciIndex || t == media::kDockerList) return ManifestKind::Index;
        if (t == media::kOciManifest || t == media::kDockerManifest) return ManifestKind::Image;
        if (t == media::kDockerSchema1 || t == media::kDockerSchema1Signed) return ManifestKind::Schema1;
    }
    if (!doc.is_object()) return ManifestKind::Unknown;
    if (doc.value("schemaVersion", 0) == 1) return ManifestKind::Schema1;
    if (doc.contains("manifests")) return ManifestKind::Index;
    if (doc.contains("config") && doc.contains("layers")) return ManifestKind::Image;
    return ManifestKind::Unknown;
}

std::vector<Platform> index_platforms(const Json& index) {
    std::vector<Platform> out;
    if (index.contains("manifests") && index["manifests"].is_array())
        for (auto& d : index["manifests"])
            if (auto p = platform_of(d); !p.os.empty()) out.push_back(p);
    return out;
}

Descriptor select_platform(const Json& index, const Platform& want, const std::string& name) {
    if (!index.contains("manifests") || !index["manifests"].is_array())
        throw Error(name + ": invalid image index (no manifests)");
    const Json* best = nullptr;
    int best_score = 0;
    for (auto& d : index["manifests"]) {
        int s = match_score(platform_of(d), want);
        if (s > best_score) {
            best = &d;
            best_score = s;
        }
    }
    if (!best) {
        std::vector<std::string> have;
        for (auto& p : index_platforms(index))
            if (p.os != "unknown") have.push_back(p.str());
        throw Error(name + ": no image found in manifest list for architecture " + want.arch +
                    (want.variant.empty() ? "" : ", variant \"" + want.variant + "\"") + ", OS " + want.os +
                    (have.empty() ? "" : " (available: " + str::join(have, ", ") + ")"));
    }
    return descriptor_of(*best, "a manifest list entry");
}

ImageManifest parse_image_manifest(const Json& doc, const std::string& content_type) {
    ImageManifest m;
    m.media_type = doc.value("mediaType", "");
    if (m.media_type.empty()) m.media_type = str::trim(content_type.substr(0, content_type.find(';')));
    if (m.media_type.empty()) m.media_type = media::kOciManifest;
    if (!doc.contains("config")) throw Error("invalid manifest: no config");
    m.config = descriptor_of(doc["config"], "config");
    if (!doc.contains("layers") || !doc["layers"].is_array()) throw Error("invalid manifest: no layers");
    for (auto& l : doc["layers"]) {
        auto d = descriptor_of(l, "a layer");
        if (d.media_type.find("encrypted") != std::string::npos)
            throw Error("encrypted layers (" + d.media_type + ") are not supported");
        m.layers.push_back(std::move(d));
    }
    return m;
}

const std::string& checked_digest(const std::string& digest) {
    if (digest.size() != 71 || digest.compare(0, 7, "sha256:") != 0 || !str::is_hex(digest.substr(7)))
        throw Error("unsupported or invalid digest \"" + digest + "\" (skiff handles sha256 only)");
    return digest;
}

}  // namespace skiff::registry
