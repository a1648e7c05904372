// The metadata of image archives, read strictly: docker-archive's
// manifest.json, OCI's index.json and image manifests, and the image
// config's diff IDs. An archive is untrusted input, so every field is
// checked for its type and every digest for its form before anything is
// looked up by it; a wrong shape is one "archive: …" Error, never a JSON
// library exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace skiff::image {

// One entry of docker-archive's manifest.json.
struct DockerEntry {
    std::string config;               // member name of the image config
    std::vector<std::string> layers;  // member names, base first
    std::vector<std::string> repo_tags;
};
std::vector<DockerEntry> parse_docker_manifest(const std::string& text);

// An OCI descriptor.
struct Descriptor {
    std::string media_type;
    std::string digest;           // checked: "sha256:" and 64 hex digits
    std::optional<int64_t> size;  // unset when the archive gives none
    std::string ref_name;         // io.containerd.image.name, else org.opencontainers.image.ref.name
};

// index.json, or a nested image index: its "manifests".
std::vector<Descriptor> parse_oci_index(const std::string& text, const std::string& what);

// An image manifest, or an index met where a manifest was expected.
struct OciManifest {
    bool is_index = false;
    std::vector<Descriptor> manifests;  // is_index
    Descriptor config;
    std::vector<Descriptor> layers;
};
// `media_type` is the descriptor's, used when the manifest names none.
OciManifest parse_oci_manifest(const std::string& text, const std::string& media_type);

// The image config's rootfs.diff_ids, each checked for its form.
std::vector<std::string> config_diff_ids(const std::string& config_text);

// Throws unless `digest` is "sha256:" and 64 lowercase hex digits: the only
// form skiff stores, and one that cannot smuggle a path.
void check_digest(const std::string& digest, const std::string& what);
// "blobs/sha256/<hex>" of a checked digest.
std::string blob_path(const std::string& digest);

}  // namespace skiff::image
