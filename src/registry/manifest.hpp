// Manifests as the distribution API serves them: OCI image manifests and
// indexes, Docker schema 2 manifests and lists; platform choice from an
// index; building a manifest for push.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace skiff::registry {

namespace media {
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr const char* kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
}  // namespace media

// The Accept header for manifest requests: every format skiff reads.
std::string manifest_accept();

struct Descriptor {
    std::string media_type;
    std::string digest;
    int64_t size = -1;
    std::vector<std::string> urls;
};

struct Platform {
    std::string os, arch, variant;
    std::string str() const;  // "linux/arm64/v8"
};

// The host's platform in OCI/Go names (linux/amd64, linux/arm64/v8).
Platform host_platform();
// "os/arch[/variant]" or "arch"; normalizes aliases (x86_64 → amd64,
// aarch64 → arm64).
Platform parse_platform(const std::string& text);
// --platform, then --os/--arch/--variant over it, then the host's for
// whatever is left empty.
Platform requested_platform(const std::string& platform, const std::string& os, const std::string& arch,
                            const std::string& variant);
std::string normalize_arch(const std::string& arch);

enum class ManifestKind { Image, Index, Schema1, Unknown };
// What a manifest is, from the Content-Type and the document itself.
ManifestKind manifest_kind(const std::string& content_type, const Json& doc);

// The entry of an index for `want`; throws naming what the index offers
// when nothing matches.
Descriptor select_platform(const Json& index, const Platform& want, const std::string& name);
// Every platform an index lists (for messages and --all-platforms-like use).
std::vector<Platform> index_platforms(const Json& index);

struct ImageManifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
};
// Parses and checks an image manifest (OCI or Docker schema 2).
ImageManifest parse_image_manifest(const Json& doc, const std::string& content_type);

// Checks a digest string ("sha256:<64 hex>") and returns it.
const std::string& checked_digest(const std::string& digest);

}  // namespace skiff::registry
