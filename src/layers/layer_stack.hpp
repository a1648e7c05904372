// A read-only view of a stack of extracted layers as overlayfs would show
// it, without mounting anything: used to tell added from changed files, to
// diff a vfs container against its image, and to flatten layers for vfs.
//
// Layers are in "overlay form" (what tar_apply's WhiteoutMode::Overlay
// writes): 0:0 character devices delete, an opaque xattr hides everything
// below. fuse-overlayfs's fallback form (".wh.NAME" files and a
// ".wh..wh..opq" file) is understood too.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace skiff::layers {

struct MergedEntry {
    std::string name;
    struct stat st;
    int dirfd;     // the directory (in the layer that provides it) holding `name`
    size_t layer;  // index into the stack, 0 = top
};

// One directory of the merged view.
class MergedDir {
public:
    MergedDir() = default;
    // The root of a stack given lowest layer first (as images list them).
    static MergedDir open_stack(const std::vector<std::string>& layers_lowest_first);

    // Everything visible in this directory, sorted by name.
    std::vector<MergedEntry> list() const;
    // The view of subdirectory `name`; empty when it is not a directory.
    MergedDir child(const std::string& name) const;
    bool empty() const { return layers_.empty(); }

private:
    struct Layer {
        int fd;        // borrowed from owned_ (or the parent's root fds)
        size_t index;  // 0 = top of the stack
    };
    std::vector<Layer> layers_;
    std::vector<std::shared_ptr<UniqueFd>> owned_;
};

// True when the directory is opaque in any dialect.
bool is_opaque_dir(int dir_fd);

}  // namespace skiff::layers
