// Image references: Docker's normalization (busybox →
// docker.io/library/busybox:latest) and the parts a registry client needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff::image {

struct Reference {
    std::string domain;  // "docker.io", "localhost:5000"
    std::string path;    // "library/busybox"
    std::string tag;     // "" when only a digest is given
    std::string digest;  // "sha256:…" or ""
    bool had_domain = false;  // the user wrote a registry (no short-name search)

    // docker.io/library/busybox:latest, or …@sha256:… when tagless.
    std::string full() const;
    // domain/path, without tag or digest.
    std::string repository() const;
    // Docker's short form: "busybox:latest", "quay.io/x/y:1".
    std::string familiar() const;
};

// Parses and normalizes; throws skiff::Error for malformed references.
Reference parse_reference(std::string_view text);
// True for 64 hex characters with or without "sha256:" (an image ID, not a name).
bool looks_like_id(std::string_view text);

}  // namespace skiff::image
