#include "layers/flatten.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <map>

#include "layers/fsops.hpp"
#include "layers/layer_stack.hpp"
#include "layers/safe_path.hpp"
#include "util/error.hpp"

namespace skiff::layers {

namespace {

void default_warn(const std::string& msg) { std::fprintf(stderr, "WARNING: %s\n", msg.c_str()); }

std::vector<std::string> split(const std::string& p) {
    std::vector<std::string> out;
    size_t pos = 0;
    for (;;) {
        size_t s = p.find('/', pos);
        out.push_back(p.substr(pos, s == std::string::npos ? s : s - pos));
        if (s == std::string::npos) return out;
        pos = s + 1;
    }
}

class Flattener {
public:
    Flattener(int root, const FlattenOptions& opts)
        : root_(root), opts_(opts), reflink_(opts.reflink), warn_(opts.warn ? opts.warn : default_warn) {}

    void copy_dir(const MergedDir& src, int dst, const std::string& rel);
    FlattenStats stats() const { return stats_; }

private:
    void copy_regular(const MergedEntry& e, int dst, const std::string& path);
    void copy_data(int in, int out, const struct stat& st, const std::string& path);
    bool link_existing(const MergedEntry& e, int dst, const std::string& path);
    void owner(int rc, const std::string& path);
    void set_xattrs(const Xattrs& xs, int fd, const std::string& proc, const std::string& path, bool symlink);

    int root_;
    const FlattenOptions& opts_;
    bool reflink_;
    bool kernel_copy_ = true;
    std::function<void(const std::string&)> warn_;
    FlattenStats stats_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
    bool warned_devices_ = false, warned_xattrs_ = false;
};

void Flattener::owner(int rc, const std::string& path) {
    if (rc == 0) return;
    if ((errno == EPERM || errno == EINVAL) && opts_.ignore_owners) return;
    throw_errno("chown " + path);
}

void Flattener::set_xattrs(const Xattrs& xs, int fd, const std::string& proc, const std::string& path,
                           bool symlink) {
    for (const auto& [k, v] : xs) {
        if (is_private_xattr(k) || is_host_xattr(k) || (symlink && k.starts_with("user."))) continue;
        int rc = fd >= 0 ? ::fsetxattr(fd, k.c_str(), v.data(), v.size(), 0)
                         : ::lsetxattr(proc.c_str(), k.c_str(), v.data(), v.size(), 0);
        if (rc == 0) continue;
        if (errno == ENOTSUP || errno == EOPNOTSUPP || ((errno == EPERM || errno == EACCES) && opts_.ignore_owners)) {
            if (!warned_xattrs_) warn_("cannot set xattr " + k + " on " + path + "; such xattrs are left out");
            warned_xattrs_ = true;
            continue;
        }
        throw_errno("set xattr " + k + " on " + path);
    }
}

void Flattener::copy_data(int in, int out, const struct stat& st, const std::string& path) {
    if (st.st_size == 0) return;
    if (reflink_) {
        if (::ioctl(out, FICLONE, in) == 0) {
            ++stats_.reflinked;
            return;
        }
        // Not this file system (or not across these two): stop asking.
        if (errno != EOPNOTSUPP && errno != ENOTTY && errno != EXDEV && errno != EINVAL && errno != EPERM)
            throw_errno("clone " + path);
        reflink_ = false;
    }
    // Data segments only, so that sparse files stay sparse.
    bool sparse = st.st_blocks * 512 < st.st_size;
    off_t pos = 0;
    while (pos < st.st_size) {
        off_t start = pos, end = st.st_size;
        if (sparse) {
            start = ::lseek(in, pos, SEEK_DATA);
            if (start < 0) break;  // only a hole is left
            end = ::lseek(in, start, SEEK_HOLE);
            if (end < 0) end = st.st_size;
        }
        off_t off_in = start, off_out = start;
        while (off_in < end) {
            ssize_t n;
            if (kernel_copy_) {
                n = ::copy_file_range(in, &off_in, out, &off_out, static_cast<size_t>(end - off_in), 0);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
                        throw_errno("copy " + path);
                    kernel_copy_ = false;  // the kernel will not: plain reads and writes
                    continue;
                }
            } else {
                char buf[1 << 16];
                n = ::pread(in, buf, static_cast<size_t>(std::min<off_t>(sizeof buf, end - off_in)), off_in);
                if (n < 0) throw_errno("read " + path);
                if (n > 0 && ::pwrite(out, buf, static_cast<size_t>(n), off_out) != n) throw_errno("write " + path);
                off_in += n;
                off_out += n;
            }
            if (n == 0) break;  // shrank under us
            stats_.bytes_copied += static_cast<uint64_t>(n);
        }
        pos = end;
    }
    if (sparse && ::ftruncate(out, st.st_size) < 0) throw_errno("truncate " + path);
}

bool Flattener::link_existing(const MergedEntry& e, int dst, const std::string& path) {
    if (e.st.st_nlink < 2) return false;
    auto [it, first] = links_.emplace(std::make_pair(e.st.st_dev, e.st.st_ino), path);
    if (first) return false;
    auto comps = split(it->second);
    DirWalker w(root_);
    int parent = w.resolve(comps, comps.size() - 1, false);
    if (parent >= 0 && ::linkat(parent, comps.back().c_str(), dst, e.name.c_str(), 0) == 0) return true;
    return false;  // gone or refused: a copy is as good
}

void Flattener::copy_regular(const MergedEntry& e, int dst, const std::string& path) {
    if (link_existing(e, dst, path)) return;
    UniqueFd in(::openat(e.dirfd, e.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) throw_errno("open " + path);
    UniqueFd out(::openat(dst, e.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) throw_errno("create " + path);
    copy_data(in.get(), out.get(), e.st, path);
    ++stats_.files;
    // chown first: it clears setuid bits and file capabilities.
    owner(::fchown(out.get(), e.st.st_uid, e.st.st_gid), path);
    if (::fchmod(out.get(), e.st.st_mode & 07777) < 0) throw_errno("chmod " + path);
    set_xattrs(read_xattrs_fd(in.get()), out.get(), {}, path, false);
    struct timespec ts[2] = {e.st.st_atim, e.st.st_mtim};
    if (::futimens(out.get(), ts) < 0) throw_errno("set times " + path);
}

void Flattener::copy_dir(const MergedDir& src, int dst, const std::string& rel) {
    for (const auto& e : src.list()) {
        std::string path = rel.empty() ? e.name : rel + "/" + e.name;
        const char* name = e.name.c_str();
        struct timespec ts[2] = {e.st.st_atim, e.st.st_mtim};
        mode_t type = e.st.st_mode & S_IFMT;
        if (type == S_IFDIR) {
            if (::mkdirat(dst, name, 0700) < 0) throw_errno("mkdir " + path);
            UniqueFd sub(::openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub) throw_errno("open " + path);
            copy_dir(src.child(e.name), sub.get(), path);
            // After the children: their creation would move the mtime, and a
            // read-only mode would refuse them.
            owner(::fchown(sub.get(), e.st.st_uid, e.st.st_gid), path);
            if (::fchmod(sub.get(), e.st.st_mode & 07777) < 0) throw_errno("chmod " + path);
            set_xattrs(read_xattrs_at(e.dirfd, e.name), sub.get(), {}, path, false);
            if (::futimens(sub.get(), ts) < 0) throw_errno("set times " + path);
            continue;
        }
        if (type == S_IFREG) {
            copy_regular(e, dst, path);
            continue;
        }
        if (type == S_IFLNK) {
            std::string target(4096, '\0');
            ssize_t n = ::readlinkat(e.dirfd, name, target.data(), target.size());
            if (n < 0) throw_errno("readlink " + path);
            target.resize(static_cast<size_t>(n));
            if (::symlinkat(target.c_str(), dst, name) < 0) throw_errno("symlink " + path);
        } else if (type == S_IFSOCK) {
            continue;
        } else {
            int rc = type == S_IFIFO ? ::mkfifoat(dst, name, e.st.st_mode & 07777)
                                     : ::mknodat(dst, name, e.st.st_mode, e.st.st_rdev);
            if (rc < 0 && errno == EPERM && type != S_IFIFO) {
                if (!warned_devices_) warn_("device nodes cannot be created without privilege; skipped " + path);
                warned_devices_ = true;
                continue;
            }
            if (rc < 0) throw_errno("mknod " + path);
            if (::fchmodat(dst, name, e.st.st_mode & 07777, 0) < 0) throw_errno("chmod " + path);
        }
        owner(::fchownat(dst, name, e.st.st_uid, e.st.st_gid, AT_SYMLINK_NOFOLLOW), path);
        set_xattrs(read_xattrs_at(e.dirfd, e.name), -1, proc_path(dst, e.name), path, type == S_IFLNK);
        if (::utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("set times " + path);
    }
}

}  // namespace

FlattenStats flatten_layers(const std::vector<std::string>& layers, const std::string& dest,
                            const FlattenOptions& opts) {
    UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open " + dest);
    Flattener f(root.get(), opts);
    if (!layers.empty()) f.copy_dir(MergedDir::open_stack(layers), root.get(), "");
    return f.stats();
}

}  // namespace skiff::layers
