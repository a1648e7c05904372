// `skiff cp`: the file-system half. Paths inside a container are resolved
// against a root directory fd with the kernel's RESOLVE_IN_ROOT, so no
// symlink a container controls (absolute, "..", or swapped mid-copy) can
// lead outside its root; everything after that works on fds with
// O_NOFOLLOW (layers::tar_entry, layers::apply_tar_at).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "layers/compress.hpp"
#include "util/fd.hpp"

namespace skiff::container {

// What `cp` moves: an entry's kind and the name its tar members start with.
struct CopySource {
    bool is_dir = false;
    std::string member;     // the top member's name (the source's basename)
    bool contents = false;  // "SRC/." : the directory's contents, not itself
};

// Where the tar goes: an existing directory, and how to rename its top
// member (rebase_to empty: its children go straight in).
struct CopyTarget {
    std::string dir;  // path of an existing directory
    std::string rebase_to;
};

// What the destination path turned out to be.
struct DestInfo {
    bool exists = false;
    bool is_dir = false;
};

// Docker's rules (docker cp's table): a file into a directory keeps its
// name, onto a missing path takes that name; a directory onto a missing
// path becomes it, into a directory goes inside it (or its contents, for
// "SRC/."). `dest` is the destination as typed; errors are Docker's.
CopyTarget plan_copy(const CopySource& src, const std::string& dest, const DestInfo& info);

// "/a/b/" -> {"/a", "b"}; "/a/." -> {"/a", "."}; "/" -> {"/", "."}; "a" -> {".", "a"}.
std::pair<std::string, std::string> split_copy_path(const std::string& path);
// True for "x/." and "x/./": copy the contents (Docker).
bool copies_contents(const std::string& path);

// openat2(RESOLVE_IN_ROOT): `path` as if `root_fd` were "/". Symlinks,
// including the last component's unless `nofollow`, stay inside the root.
// Returns an invalid fd for ENOENT; throws for other errors.
UniqueFd open_in_root(int root_fd, const std::string& path, int flags, bool nofollow = false);

struct CopyOutOptions {
    bool follow_link = false;  // -L
};
// Writes the tar of `path` (resolved in `root_fd`) to `sink`; returns what
// it was, also told to `on_resolved` before the first byte is written.
// `display` names the path in errors.
CopySource copy_out(int root_fd, const std::string& path, const layers::WriteFn& sink,
                    const CopyOutOptions& opts, const std::string& display,
                    const std::function<void(const CopySource&)>& on_resolved = {});
// Only resolves the source (what copy_out would write, without writing).
CopySource describe_source(int root_fd, const std::string& path, const CopyOutOptions& opts,
                           const std::string& display);
// Stats `path` under root_fd (for planning a copy out of a container into
// another container is not supported: one side is always the host).
DestInfo stat_in_root(int root_fd, const std::string& path);

struct CopyInOptions {
    // Owner of every created file (docker cp: the destination's root);
    // unset: the tar's owners (-a).
    std::optional<std::pair<uid_t, gid_t>> owner;
    bool ignore_owners = false;  // unprivileged: files stay the caller's
};
// Applies the tar read from `src` into `dest` (resolved in `root_fd`)
// following plan_copy for `source`; with `raw` the tar goes unchanged into
// the existing directory `dest` (`cp - CTR:DIR`).
void copy_in(int root_fd, const std::string& dest, const layers::ReadFn& src, const CopySource& source, bool raw,
             const CopyInOptions& opts, const std::string& display);

// The fast path for one regular file into a container: the host file's
// fd (opened before entering the container) is copied in the kernel
// (copy_file_range, else sendfile) to the place plan_copy names. Mode and
// times come from the source; owners as CopyInOptions says.
void copy_file_in(int root_fd, const std::string& dest, int src_fd, const CopySource& source,
                  const CopyInOptions& opts, const std::string& display);

}  // namespace skiff::container
