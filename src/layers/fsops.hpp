// Small fd-relative file operations shared by tar apply/diff and the
// drivers. All of them act on (dirfd, name) pairs and never follow a
// symlink in the last component.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/fd.hpp"

namespace skiff::layers {

using Xattrs = std::vector<std::pair<std::string, std::string>>;

// The xattrs that mark an opaque directory, in every dialect we may meet:
// kernel overlay as root, kernel overlay with `userxattr`, fuse-overlayfs.
inline constexpr const char* kOpaqueXattrs[] = {"trusted.overlay.opaque", "user.overlay.opaque",
                                                 "user.fuseoverlayfs.opaque"};
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

void write_all(int fd, const void* data, size_t size, const std::string& what);

// rm -rf of dirfd/name; missing is fine. Directories we may not write are
// made writable first, as their owner may (rootless layers hold 0555 dirs).
void remove_at(int dirfd, const std::string& name);
// rm -rf of a path (its parent is trusted; the tree below is not).
void remove_tree(const std::string& path);
// Removes everything inside the directory fd.
void clear_dir(int dirfd);

// Bytes held by the files under `path` (apparent sizes; a hard-linked file
// counts once; other mounts below and directories we may not read are
// left out); 0 when missing.
uint64_t tree_size(const std::string& path);

// The names in a directory (no "." / ".."), sorted bytewise.
std::vector<std::string> list_dir(int dirfd);

// "/proc/self/fd/N/name": how to reach a symlink for the l*xattr calls.
std::string proc_path(int dirfd, const std::string& name);

// Xattrs of an open file / of dirfd/name without following it. Values the
// caller may not read (trusted.* without privilege) are left out.
Xattrs read_xattrs_fd(int fd);
Xattrs read_xattrs_at(int dirfd, const std::string& name);

// Overlay's own bookkeeping xattrs: never copied into or out of a layer.
bool is_private_xattr(std::string_view name);
// Host-specific xattrs that a layer does not carry (SELinux labels, ACLs).
bool is_host_xattr(std::string_view name);

// True when the directory carries one of kOpaqueXattrs = "y".
bool dir_has_opaque_xattr(int dir_fd);

}  // namespace skiff::layers
