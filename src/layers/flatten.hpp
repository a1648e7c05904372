// Copies the merged view of a stack of layers into one plain directory:
// the vfs driver's rootfs, and `export` of an image without a mount.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace skiff::layers {

struct FlattenOptions {
    // Share data blocks with the layers (FICLONE) where the file system can.
    bool reflink = true;
    // Keep going when an owner cannot be set (unprivileged, single-id map).
    bool ignore_owners = false;
    std::function<void(const std::string&)> warn;  // default: stderr
};

struct FlattenStats {
    uint64_t files = 0;
    uint64_t reflinked = 0;  // files whose data was shared, not copied
    uint64_t bytes_copied = 0;
};

// `dest` must be an empty directory (the caller renames it into place).
// Whiteouts and opaque markers are applied, never copied; hard links
// within a layer stay hard links.
FlattenStats flatten_layers(const std::vector<std::string>& layers_lowest_first, const std::string& dest,
                            const FlattenOptions& opts = {});

}  // namespace skiff::layers
