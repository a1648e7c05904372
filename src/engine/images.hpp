// Image operations behind the image commands.
#pragma once

#include "layers/compress.hpp"

#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "util/json.hpp"

namespace skiff::engine {

struct ImageListOptions {
    bool all = false;
    bool digests = false;
    bool no_trunc = false;
    std::vector<std::string> filters;  // key=value
    bool with_names = false;           // the Names field (json and {{.Names}} formats)
};

// One row per name (Docker's layout), with the fields Docker's and
// Podman's --format templates use.
std::vector<Json> list_images(Engine& e, const ImageListOptions& opts);

// Docker's `image inspect` object.
Json inspect_image(Engine& e, const image::Image& img);

struct RemoveReport {
    std::vector<std::string> untagged;  // familiar names
    std::vector<std::string> deleted;   // sha256:…
};
// Docker's rmi: a name untags (and deletes the image when it was the last
// name), an ID deletes; images used by containers need `force`, which
// untags them but keeps what containers use.
RemoveReport remove_image(Engine& e, const std::string& ref, bool force);

struct PruneReport {
    std::vector<std::string> deleted;
    int64_t reclaimed = 0;
};
PruneReport prune_images(Engine& e, bool all, const std::vector<std::string>& filters);

std::vector<Json> image_history(Engine& e, const image::Image& img, bool human, bool no_trunc);

// Imports a flat tar (a root filesystem, compressed or not) as a one-layer
// image.
image::Image import_tarball(Engine& e, const layers::ReadFn& tarball, const std::vector<std::string>& changes,
                            const std::string& message, const std::vector<std::string>& names);

std::string familiar(const std::string& full_name);

}  // namespace skiff::engine
