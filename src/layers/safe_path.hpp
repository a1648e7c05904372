// Path handling for untrusted names (tar members, layer contents).
//
// Nothing here joins a name to a root as a string and hands it to the
// kernel: every lookup walks one component at a time from a directory fd
// with O_NOFOLLOW, so a symlink planted by an earlier entry (or a lower
// layer) can never redirect a write outside the root.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace skiff::layers {

// Splits a member name into clean components: "./a//b/" -> {"a","b"}.
// "." components vanish and ".." pops lexically. Throws for absolute names
// and for names that climb above the root. The root itself is {}.
std::vector<std::string> clean_components(std::string_view name);

// A member name as a one-line message may show it: control characters
// (a newline could forge a second "Error:" line) become '?', and a very
// long name is cut.
std::string printable(std::string_view name);

// The components joined by '/', "" for the root.
std::string join_components(const std::vector<std::string>& comps, size_t n);

// Opens an existing directory `name` under `dirfd` without following a
// symlink. Returns an invalid fd when it does not exist; throws when it is
// a symlink or not a directory (`what` names the path in the message).
UniqueFd open_dir_nofollow(int dirfd, const std::string& name, const std::string& what,
                           int flags = O_PATH);

// Resolves the directory holding components [0, n) of a path, one component
// at a time from the root fd. Keeps the fds of the last chain it resolved,
// because tar members arrive grouped by directory: most lookups then cost
// no system call at all.
class DirWalker {
public:
    explicit DirWalker(int root_fd) : root_(root_fd) {}

    // Returns a dirfd (owned by the walker, valid until the next call) or -1
    // when a component is missing and `create` is false. Missing components
    // are made with mode 0755 when `create` is true; `on_create(depth)` is
    // then told about each new one.
    template <typename OnCreate>
    int resolve(const std::vector<std::string>& comps, size_t n, bool create, OnCreate&& on_create);
    int resolve(const std::vector<std::string>& comps, size_t n, bool create) {
        return resolve(comps, n, create, [](size_t) {});
    }

    // Drops every cached fd at depth >= `depth` (the path was changed).
    void truncate(size_t depth);
    int root() const { return root_; }

private:
    int open_step(int parent, const std::vector<std::string>& comps, size_t i, bool create,
                  bool* created);

    int root_;
    std::vector<std::string> names_;
    std::vector<UniqueFd> fds_;
};

template <typename OnCreate>
int DirWalker::resolve(const std::vector<std::string>& comps, size_t n, bool create,
                       OnCreate&& on_create) {
    size_t common = 0;
    while (common < names_.size() && common < n && names_[common] == comps[common]) ++common;
    truncate(common);
    int cur = common == 0 ? root_ : fds_[common - 1].get();
    for (size_t i = common; i < n; ++i) {
        bool created = false;
        cur = open_step(cur, comps, i, create, &created);
        if (cur < 0) return -1;
        if (created) on_create(i);
    }
    return cur;
}

// True for an overlay whiteout: a character device 0:0.
inline bool is_whiteout_stat(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == 0;
}

}  // namespace skiff::layers
