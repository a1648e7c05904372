#include "container/copy.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "layers/tar_apply.hpp"
#include "layers/tar_diff.hpp"
#include "util/error.hpp"

namespace skiff::container {

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "x/./" -> "x", "x/." -> "x", "/." -> "/", "." -> ".".
std::string strip_contents_suffix(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (p.size() >= 2 && ends_with(p, "/.")) p.resize(p.size() - 2);
    if (p.empty()) p = "/";
    return p;
}

std::string read_link_at(int dirfd, const std::string& name) {
    std::string buf(256, '\0');
    for (;;) {
        ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
        if (n < 0) throw_errno("readlink " + name);
        if (static_cast<size_t>(n) < buf.size()) return buf.substr(0, static_cast<size_t>(n));
        buf.resize(buf.size() * 2);
    }
}

}  // namespace

bool copies_contents(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p == "." || ends_with(p, "/.");
}

std::pair<std::string, std::string> split_copy_path(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (p == "/") return {"/", "."};
    size_t slash = p.rfind('/');
    if (slash == std::string::npos) return {".", p};
    return {slash == 0 ? "/" : p.substr(0, slash), p.substr(slash + 1)};
}

CopyTarget plan_copy(const CopySource& src, const std::string& dest, const DestInfo& info) {
    bool trailing = !dest.empty() && (dest.back() == '/' || copies_contents(dest));
    auto [dir, base] = split_copy_path(dest);
    if (!info.exists) {
        if (trailing && !src.is_dir) throw Error("destination directory \"" + dest + "\" does not exist");
        if (base == "." || base == "..") throw Error("destination \"" + dest + "\" is not a valid name for a copy");
        return {dir, base};
    }
    if (info.is_dir) return {strip_contents_suffix(dest), src.contents ? "" : src.member};
    if (src.is_dir) throw Error("cannot copy a directory onto the file \"" + dest + "\"");
    if (trailing) throw Error("destination \"" + dest + "\" is not a directory");
    return {dir, base};
}

UniqueFd open_in_root(int root_fd, const std::string& path, int flags, bool nofollow) {
    std::string rel = path;
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    if (rel.empty()) rel = ".";
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
        if (fd >= 0) return UniqueFd(static_cast<int>(fd));
        // EAGAIN: a rename raced the lookup of ".."; the kernel asks for a retry.
        if (errno == EAGAIN && attempt < 16) continue;
        if (errno == ENOENT) return UniqueFd();
        if (errno == ENOSYS) throw Error("cp needs openat2 (Linux 5.6 or later)");
        if (errno == ENOTDIR) throw Error("\"" + path + "\": a component of the path is not a directory");
        throw_errno("open " + path);
    }
}

DestInfo stat_in_root(int root_fd, const std::string& path) {
    UniqueFd fd = open_in_root(root_fd, path, O_PATH);
    if (!fd) return {};
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) throw_errno("stat " + path);
    return {true, S_ISDIR(st.st_mode)};
}

namespace {

struct Resolved {
    UniqueFd parent;
    std::string leaf;
    CopySource src;
};

Resolved resolve_source(int root_fd, const std::string& path, const CopyOutOptions& opts,
                        const std::string& display) {
    Resolved res;
    CopySource& src = res.src;
    src.contents = copies_contents(path);
    std::string p = strip_contents_suffix(path);
    bool want_dir = src.contents || (path.size() > 1 && path.back() == '/');
    auto [dir, leaf] = split_copy_path(p);
    src.member = leaf == "." ? "rootfs" : leaf;
    auto missing = [&] { return NotFound("No such container:path: " + display); };
    for (int hops = 0;; ++hops) {
        UniqueFd parent = open_in_root(root_fd, dir, O_PATH | O_DIRECTORY);
        if (!parent) throw missing();
        struct stat st;
        if (::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) throw missing();
            throw_errno("stat " + display);
        }
        if (S_ISLNK(st.st_mode) && (opts.follow_link || want_dir)) {
            if (hops >= 40) throw Error(display + ": too many levels of symbolic links");
            std::string target = read_link_at(parent.get(), leaf);
            std::string next = target.front() == '/' ? target : (dir == "/" ? "/" : dir + "/") + target;
            std::tie(dir, leaf) = split_copy_path(next);
            continue;
        }
        src.is_dir = S_ISDIR(st.st_mode);
        if (want_dir && !src.is_dir) throw Error(display + ": not a directory");
        res.parent = std::move(parent);
        res.leaf = leaf;
        return res;
    }
}

}  // namespace

CopySource describe_source(int root_fd, const std::string& path, const CopyOutOptions& opts,
                           const std::string& display) {
    return resolve_source(root_fd, path, opts, display).src;
}

CopySource copy_out(int root_fd, const std::string& path, const layers::WriteFn& sink,
                    const CopyOutOptions& opts, const std::string& display,
                    const std::function<void(const CopySource&)>& on_resolved) {
    Resolved r = resolve_source(root_fd, path, opts, display);
    if (on_resolved) on_resolved(r.src);
    layers::tar_entry(r.parent.get(), r.leaf, r.src.member, sink);
    return r.src;
}

void copy_in(int root_fd, const std::string& dest, const layers::ReadFn& src, const CopySource& source, bool raw,
             const CopyInOptions& opts, const std::string& display) {
    layers::ApplyOptions ao;
    ao.whiteouts = layers::WhiteoutMode::None;
    ao.owner = opts.owner;
    ao.ignore_owners = opts.ignore_owners;
    ao.ignore_xattr_errors = true;
    ao.sync = false;
    ao.what = "copy to " + display;
    std::string dir = dest;
    if (!raw) {
        CopyTarget t = plan_copy(source, dest, stat_in_root(root_fd, dest));
        dir = t.dir;
        ao.rebase_from = source.member;
        ao.rebase_to = t.rebase_to;
    }
    UniqueFd dfd = open_in_root(root_fd, dir, O_RDONLY | O_DIRECTORY);
    if (!dfd) throw NotFound("directory \"" + dir + "\" does not exist in " + display);
    layers::apply_tar_at(src, dfd.get(), ao);
}

namespace {

// In-kernel copy of the whole of `in` to `out`.
void copy_data(int in, int out, off_t size, const std::string& display) {
    off_t done = 0;
    bool use_cfr = true;
    while (done < size) {
        size_t chunk = static_cast<size_t>(std::min<off_t>(size - done, 1 << 30));
        ssize_t n = -1;
        if (use_cfr) {
            n = ::copy_file_range(in, nullptr, out, nullptr, chunk, 0);
            // Across file systems (overlay over ext4): sendfile instead.
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                use_cfr = false;
                continue;
            }
        } else {
            n = ::sendfile(out, in, nullptr, chunk);
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("copy to " + display);
        if (n == 0) throw Error("copy to " + display + ": the source file shrank while being copied");
        done += n;
    }
}

}  // namespace

void copy_file_in(int root_fd, const std::string& dest, int src_fd, const CopySource& source,
                  const CopyInOptions& opts, const std::string& display) {
    CopyTarget t = plan_copy(source, dest, stat_in_root(root_fd, dest));
    UniqueFd dfd = open_in_root(root_fd, t.dir, O_RDONLY | O_DIRECTORY);
    if (!dfd) throw NotFound("directory \"" + t.dir + "\" does not exist in " + display);
    const std::string& name = t.rebase_to;
    struct stat old;
    if (::fstatat(dfd.get(), name.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(old.st_mode)) throw Error("cannot overwrite the directory " + display + " with a file");
        // Replaced, never written through: it may be a symlink.
        if (::unlinkat(dfd.get(), name.c_str(), 0) < 0) throw_errno("replace " + display);
    }
    struct stat st;
    if (::fstat(src_fd, &st) < 0) throw_errno("stat the source");
    UniqueFd out(::openat(dfd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) throw_errno("create " + display);
    try {
        copy_data(src_fd, out.get(), st.st_size, display);
    } catch (...) {
        // A full disk must not leave half a file behind.
        ::unlinkat(dfd.get(), name.c_str(), 0);
        throw;
    }
    uid_t uid = opts.owner ? opts.owner->first : st.st_uid;
    gid_t gid = opts.owner ? opts.owner->second : st.st_gid;
    if (::fchown(out.get(), uid, gid) < 0 && !opts.ignore_owners) throw_errno("chown " + display);
    if (::fchmod(out.get(), st.st_mode & 07777) < 0) throw_errno("chmod " + display);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::futimens(out.get(), times);
}

}  // namespace skiff::container
