// Applies a layer tar (plain, gzip or zstd) to a directory in one streaming
// pass, turning OCI whiteouts into the storage driver's own form and
// computing the layer's digest and diff ID on the way.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <sys/types.h>
#include <string>

#include "layers/compress.hpp"

namespace skiff::layers {

enum class WhiteoutMode {
    // Each layer in its own directory, stacked by overlayfs: a deleted file
    // becomes a 0:0 character device, an opaque directory gets opaque_xattr.
    Overlay,
    // The directory already holds the lower layers' content (vfs, docker
    // cp): deleted files are removed for real.
    Apply,
    // `.wh.` names are ordinary files (docker cp: user data, not a layer).
    None,
};

inline constexpr const char* kOpaqueXattrRoot = "trusted.overlay.opaque";
inline constexpr const char* kOpaqueXattrUserns = "user.overlay.opaque";

struct ApplyOptions {
    WhiteoutMode whiteouts = WhiteoutMode::Overlay;
    // trusted.overlay.opaque as root in the initial user namespace,
    // user.overlay.opaque inside a user namespace (overlay's `userxattr`).
    std::string opaque_xattr = kOpaqueXattrRoot;
    // Keep going when a file cannot be given the owner the tar names
    // (unprivileged, or a uid outside the namespace's mapping).
    bool ignore_owners = false;
    // Keep going when an xattr may not be set (security.* without privilege).
    bool ignore_xattr_errors = false;
    // One syncfs() at the end so the layer survives a crash (and each
    // file's writeback started as soon as it is written). A caller that
    // syncs the file system itself afterwards may turn the final syncfs()
    // off with `sync_at_end`.
    bool sync = true;
    bool sync_at_end = true;
    // When set, a mismatch throws (the caller must then discard the dir).
    std::string expect_digest;
    std::string expect_diff_id;
    // Every member must lie under `rebase_from` (one name), which is
    // renamed to `rebase_to`; an empty `rebase_to` drops the top entry
    // and puts its children straight into the destination (`cp dir/.`).
    // Unset `rebase_from`: members are taken as they are.
    std::string rebase_from, rebase_to;
    // Give every member this owner instead of the tar's (docker cp without -a).
    std::optional<std::pair<uid_t, gid_t>> owner;
    // Names the operation in errors ("apply layer: …", "copy: …").
    std::string what = "apply layer";
    // Where warnings go; default: "WARNING: …" on stderr.
    std::function<void(const std::string&)> warn;
};

struct ApplyResult : StreamDigests {
    uint64_t entries = 0;          // tar members seen
    uint64_t skipped_devices = 0;  // device nodes we were not allowed to make
};

// Applies the stream to the existing directory `dest`. On error the
// directory holds a partial layer: use extract_layer() for a fresh one.
// `src` is called from a worker thread (reading, inflating and hashing run
// beside the file writes), one call at a time, until the stream ends or
// the apply fails; it is never called after these functions return.
ApplyResult apply_tar(const ReadFn& src, const std::string& dest, const ApplyOptions& opts = {});
ApplyResult apply_tar(int fd, const std::string& dest, const ApplyOptions& opts = {});
ApplyResult apply_tar_at(const ReadFn& src, int dest_dirfd, const ApplyOptions& opts = {});

// Extracts into a temp dir next to `dest` and renames it into place, so a
// failed or mismatched layer leaves nothing behind. When `dest` appears
// meanwhile (a parallel pull of the same layer), the copy is dropped.
ApplyResult extract_layer(const ReadFn& src, const std::string& dest, const ApplyOptions& opts = {});

}  // namespace skiff::layers
