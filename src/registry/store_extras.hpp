// Two small things the image store does not offer (yet): recording
// "repo@sha256:…" for an image (RepoDigests) after a pull or a push, and
// the exact bytes of the manifest an image was stored with (so a push can
// keep its digest). Candidates for image::Store methods.
#pragma once

#include <optional>
#include <string>

#include "image/store.hpp"

namespace skiff::registry {

void add_repo_digest(image::Store& store, const std::string& image_id, const std::string& repo_at_digest);

// The stored manifest text, verbatim; nullopt when the image has none.
std::optional<std::string> stored_manifest(image::Store& store, const std::string& image_id);

}  // namespace skiff::registry
