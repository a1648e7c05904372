// diff, export and commit: a container's files against its image, as a
// flat tar, or as a new image layer.
#pragma once

#include <string>
#include <vector>

#include "container/record.hpp"
#include "engine/engine.hpp"
#include "layers/tar_diff.hpp"

namespace skiff::engine {

// The container's changes against its image, sorted by path (Docker's
// `diff`: a changed file's parent directories are listed as changed).
// Rootless: run it in the storage namespace (the upper dir holds files of
// subordinate IDs).
std::vector<layers::Change> container_changes(Engine& e, const container::Container& c);

// A flat tar of the container's merged rootfs into `out_fd`, owners as the
// container sees them. Call it outside the storage namespace: a running
// container's namespaces are joined (with_container_rootfs).
int export_container(Engine& e, const container::Container& c, int out_fd);

struct CommitOptions {
    std::vector<std::string> names;    // full references; none: a dangling image
    std::string author;
    std::string message;
    std::vector<std::string> changes;  // Dockerfile instructions (image/changes)
    bool squash = false;               // one layer: the whole merged rootfs
    bool docker_format = false;        // Docker's config fields (container, container_config)
};

// Stores the container's changes as a new layer over its image's (or, with
// squash, its whole rootfs as the only layer), with the image config the
// container ran with plus `changes`, and a history entry. Returns the image
// ID. Without squash, rootless: run it in the storage namespace. With
// squash: outside it (the rootfs is reached through with_container_rootfs).
std::string commit_container(Engine& e, const container::Container& c, const CommitOptions& o);

}  // namespace skiff::engine
