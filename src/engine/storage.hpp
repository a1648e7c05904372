// The store as a whole: what it holds on disk (`system df`) and wiping it
// (`system reset`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "util/json.hpp"

namespace skiff::engine {

struct DiskUsage {
    // Docker's four rows (Images, Containers, Local Volumes, Build Cache):
    // Type, TotalCount (and Podman's Total), Active, Size, Reclaimable as
    // Docker prints them, RawSize and RawReclaimable in bytes.
    std::vector<Json> summary;
    // With `verbose`: one row per image name (Repository, Tag, ID,
    // CreatedSince, Size, SharedSize, UniqueSize, Containers), per
    // container (ID, Image, Command, LocalVolumes, Size, RunningFor,
    // Status, Names) and per volume (Name, Links, Size).
    std::vector<Json> images, containers, volumes;
    int64_t build_cache = 0;
};

// Image sizes come from the layer records (Docker's: the unpacked
// content; shared = in layers other images use too). Containers' writable
// layers and volumes are measured on disk, so run this in the storage
// namespace. Reclaimable: what removing every unused image, stopped
// container and unused volume would free.
DiskUsage disk_usage(Engine& e, bool verbose);

// `system prune`: stopped containers, then (with `volumes`) the anonymous
// volumes no container uses, then dangling images (every image without a
// container with `all`). Filters: label=K[=V], label!=K[=V], until=TIME
// (until applies to containers and images). Run it in the storage
// namespace.
struct SystemPruneOptions {
    bool all = false;
    bool volumes = false;
    std::vector<std::string> filters;
};
struct SystemPruneReport {
    std::vector<std::string> containers;  // IDs
    std::vector<std::string> networks;    // names
    std::vector<std::string> volumes;     // names
    std::vector<std::string> images;      // sha256:…
    int64_t reclaimed = 0;
};
SystemPruneReport prune_system(Engine& e, const SystemPruneOptions& o);

// Removes every container (stopping running ones), then everything under
// the store's root and runroot, after unmounting whatever is mounted
// below them. Run it in the storage namespace: rootless stores hold files
// of subordinate IDs. Throws when something stays mounted (nothing below
// a mount point is touched) or cannot be removed.
void reset_storage(Engine& e);

}  // namespace skiff::engine
