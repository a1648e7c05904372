// Pushing a stored image to a registry: blobs the registry lacks are
// uploaded (the stored compressed blob as is, so digests survive a round
// trip; recompressed only when another compression is asked for), blobs of
// another repository on the same registry are mounted, then the manifest.
#pragma once

#include <cstdint>
#include <string>

#include "engine/engine.hpp"
#include "registry/session.hpp"

namespace skiff::registry {

struct PushOptions {
    RegistryOptions registry;
    std::string format;       // "oci", "v2s2" ("docker"); "": keep the stored manifest's, else OCI
    std::string compression;  // "gzip", "zstd"; "": gzip
    bool quiet = false;
    std::string digestfile;   // --digestfile: the manifest digest is written there
    int64_t chunk_size = 0;   // > 0: uploads in PATCH chunks of this size
};

struct PushResult {
    std::string digest;  // of the manifest pushed
    size_t size = 0;     // of the manifest
    std::string ref;     // tag, or the digest when pushed by digest
    std::string repository;
};

// Pushes `source` (a local name or ID) to `dest` (default: the name `source`
// designates).
PushResult push_image(engine::Engine& e, const std::string& source, const std::string& dest, const PushOptions& opts);

}  // namespace skiff::registry
