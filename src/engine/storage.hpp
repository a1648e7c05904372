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

// Removes every container (stopping running ones), then everything under
// the store's root and runroot, after unmounting whatever is mounted
// below them. Run it in the storage namespace: rootless stores hold files
// of subordinate IDs. Throws when something stays mounted (nothing below
// a mount point is touched) or cannot be removed.
void reset_storage(Engine& e);

}  // namespace skiff::engine
