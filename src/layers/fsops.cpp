#include "layers/fsops.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::layers {

void write_all(int fd, const void* data, size_t size, const std::string& what) {
    auto p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + what);
        }
        p += n;
        size -= static_cast<size_t>(n);
    }
}

std::vector<std::string> list_dir(int dirfd) {
    // Reopen: readdir needs a readable fd, and the caller's may be O_PATH.
    int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("open directory");
    DIR* d = ::fdopendir(fd);
    if (!d) {
        int err = errno;
        ::close(fd);
        throw_errno("opendir", err);
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
        errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err) throw_errno("readdir", err);
    std::sort(names.begin(), names.end());
    return names;
}

void clear_dir(int dirfd) {
    for (const auto& name : list_dir(dirfd)) remove_at(dirfd, name);
}

void remove_at(int dirfd, const std::string& name) {
    if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    int unlink_err = errno;
    if (unlink_err != EISDIR && unlink_err != EPERM) throw_errno("remove " + name);
    UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) {
        // Not a directory after all: the unlink's own refusal is the news.
        if (errno == ENOTDIR || errno == ELOOP) throw_errno("remove " + name, unlink_err);
        if (errno == EACCES) {
            // Our own 0000 directory: give ourselves access, then retry.
            if (::fchmodat(dirfd, name.c_str(), 0700, 0) < 0) throw_errno("chmod " + name);
            sub.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!sub) throw_errno("remove " + name);
    }
    struct stat st;
    if (::fstat(sub.get(), &st) == 0 && (st.st_mode & 0700) != 0700 && st.st_uid == ::geteuid())
        ::fchmod(sub.get(), st.st_mode | 0700);
    clear_dir(sub.get());
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        throw_errno("remove " + name);
}

void remove_tree(const std::string& path) {
    std::string parent = fs::dirname(path);
    UniqueFd dir(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        if (errno == ENOENT) return;
        throw_errno("open " + parent);
    }
    try {
        remove_at(dir.get(), fs::basename(path));
    } catch (const Error& e) {
        throw Error("remove " + path + ": " + e.what());
    }
}

namespace {

struct SizeWalk {
    dev_t dev;
    std::set<std::pair<dev_t, ino_t>> linked;  // multiply linked files seen
    uint64_t total = 0;

    void dir(int fd) {
        for (const auto& name : list_dir(fd)) {
            struct stat st;
            if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;  // raced away
            if (S_ISDIR(st.st_mode)) {
                if (st.st_dev != dev) continue;  // a mount point
                // One we may not read is left out (never chmod'ed: these
                // are a container's files).
                UniqueFd sub(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (sub) dir(sub.get());
                continue;
            }
            if (st.st_nlink > 1 && !linked.insert({st.st_dev, st.st_ino}).second) continue;
            total += static_cast<uint64_t>(st.st_size);
        }
    }
};

}  // namespace

uint64_t tree_size(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return 0;
        throw_errno("open " + path);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) throw_errno("stat " + path);
    SizeWalk w{st.st_dev, {}, 0};
    w.dir(fd.get());
    return w.total;
}

std::string proc_path(int dirfd, const std::string& name) {
    return "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
}

namespace {

// Shared body of the two readers: `list` and `get` wrap the fd or path call.
template <typename List, typename Get>
Xattrs read_xattrs(List list, Get get) {
    Xattrs out;
    std::string names(1024, '\0');
    ssize_t n;
    for (;;) {
        n = list(names.data(), names.size());
        if (n >= 0) break;
        if (errno == ERANGE) {
            names.resize(names.size() * 4);
            continue;
        }
        if (errno == ENOTSUP || errno == EOPNOTSUPP) return out;
        throw_errno("listxattr");
    }
    names.resize(static_cast<size_t>(n));
    std::string value(256, '\0');
    for (size_t pos = 0; pos < names.size();) {
        std::string name = names.c_str() + pos;
        pos += name.size() + 1;
        if (name.empty()) continue;
        for (;;) {
            ssize_t v = get(name.c_str(), value.data(), value.size());
            if (v >= 0) {
                out.emplace_back(name, value.substr(0, static_cast<size_t>(v)));
                break;
            }
            if (errno == ERANGE) {
                value.resize(value.size() * 4);
                continue;
            }
            if (errno == ENODATA || errno == EPERM || errno == EACCES) break;
            throw_errno("getxattr " + name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

Xattrs read_xattrs_fd(int fd) {
    return read_xattrs([fd](char* b, size_t s) { return ::flistxattr(fd, b, s); },
                       [fd](const char* n, char* b, size_t s) { return ::fgetxattr(fd, n, b, s); });
}

Xattrs read_xattrs_at(int dirfd, const std::string& name) {
    std::string p = proc_path(dirfd, name);
    return read_xattrs(
        [&p](char* b, size_t s) { return ::llistxattr(p.c_str(), b, s); },
        [&p](const char* n, char* b, size_t s) { return ::lgetxattr(p.c_str(), n, b, s); });
}

bool is_private_xattr(std::string_view name) {
    return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.") ||
           name.starts_with("user.fuseoverlayfs.") || name.starts_with("user.containers.override_");
}

bool is_host_xattr(std::string_view name) {
    return name == "security.selinux" || name.starts_with("system.");
}

bool dir_has_opaque_xattr(int dir_fd) {
    // An O_PATH fd cannot read xattrs; go through /proc in that case.
    std::string p = "/proc/self/fd/" + std::to_string(dir_fd);
    for (const char* name : kOpaqueXattrs) {
        char v[4];
        ssize_t n = ::fgetxattr(dir_fd, name, v, sizeof v);
        if (n < 0 && errno == EBADF) n = ::getxattr(p.c_str(), name, v, sizeof v);
        if (n == 1 && v[0] == 'y') return true;
    }
    return false;
}

}  // namespace skiff::layers
