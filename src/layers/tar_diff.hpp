// Produces layer tars (export, import, commit, build) and the change lists
// of `skiff diff`, from three kinds of source:
//   - a plain directory tree (everything is "added");
//   - an overlay upper dir (0:0 devices and opaque xattrs become OCI
//     ".wh." entries);
//   - a full tree compared against the stack of layers it started from
//     (the vfs driver's container diff).
// Output is deterministic: names sorted bytewise, numeric owners only, no
// atime/ctime.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "layers/compress.hpp"

namespace skiff::layers {

enum class ChangeKind { Added, Changed, Deleted };
// 'A', 'C' or 'D' as `docker diff` prints them.
char change_letter(ChangeKind k);

struct Change {
    std::string path;  // absolute inside the container: "/etc/hosts"
    ChangeKind kind;
    bool operator==(const Change&) const = default;
};

struct DiffOptions {
    Compression compression = Compression::None;
    int level = -1;  // compressor's default
    // Files (never directories) to leave out of both the tar and the change
    // list, by path ("/etc/hosts"): the mount points a runtime made.
    std::function<bool(const std::string& path, const struct stat& st, ChangeKind kind)> skip;
};

struct DiffResult : StreamDigests {
    std::vector<Change> changes;  // sorted by path
    uint64_t entries = 0;         // tar members written
};

// Every function takes `sink` = the tar's destination; an empty sink only
// computes the changes (no tar is produced, digests stay empty).

// (a) The whole tree under `dir` (the root itself is not a member).
DiffResult tar_tree(const std::string& dir, const WriteFn& sink, const DiffOptions& opts = {});

// (a') One entry `name` of the directory `parent_fd` (and, for a directory,
// everything under it), its members named `member`, `member/…` (docker cp).
// Nothing is followed: a symlink is stored as a symlink.
DiffResult tar_entry(int parent_fd, const std::string& name, const std::string& member, const WriteFn& sink,
                     const DiffOptions& opts = {});
// (b) An overlay upper dir; `lowers` (lowest first) tell added from changed.
DiffResult tar_overlay_upper(const std::string& upper, const std::vector<std::string>& lowers,
                             const WriteFn& sink, const DiffOptions& opts = {});

// (c) `new_dir` compared with the merged view of `old_layers` (lowest
// first; one plain directory is a stack of one).
DiffResult tar_compare(const std::string& new_dir, const std::vector<std::string>& old_layers,
                       const WriteFn& sink, const DiffOptions& opts = {});

}  // namespace skiff::layers
