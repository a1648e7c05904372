#include "container/volume_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "container/volume_opts.hpp"
#include "container/volume_records.hpp"
#include "layers/fsops.hpp"
#include "oci/sys.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff::container {

namespace {

void warn(const std::string& msg) { std::fprintf(stderr, "WARNING: %s\n", msg.c_str()); }

// Owners that the namespace does not map (a single-ID mapping) cannot be
// given: the file stays ours, as a rootless unpack leaves it too.
void chown_tolerant(int rc, const std::string& what) {
    if (rc < 0 && errno != EINVAL && errno != EPERM) throw_errno("chown " + what);
}

void set_xattrs(const layers::Xattrs& xattrs, int fd, const std::string& link_path) {
    for (auto& [name, value] : xattrs) {
        if (layers::is_private_xattr(name) || layers::is_host_xattr(name)) continue;
        // What the target filesystem or our privilege refuses (trusted.*,
        // security.* rootless) is left out, as `cp -a` does.
        if (fd >= 0) ::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0);
        else ::lsetxattr(link_path.c_str(), name.c_str(), value.data(), value.size(), 0);
    }
}

void copy_data(int from, int to, const std::string& what) {
    for (bool range = true;;) {
        ssize_t n;
        if (range) {
            n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                range = false;
                continue;
            }
        } else {
            char buf[65536];
            n = ::read(from, buf, sizeof buf);
            if (n > 0) layers::write_all(to, buf, static_cast<size_t>(n), what);
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("copy " + what);
        }
        if (n == 0) return;
    }
}

struct Copier {
    int dst_root;
    // Files with several links: the first copy's path below dst_root.
    std::map<std::pair<dev_t, ino_t>, std::string> links;

    void finish_fd(int fd, const struct stat& st, const layers::Xattrs& xattrs, const std::string& what) {
        chown_tolerant(::fchown(fd, st.st_uid, st.st_gid), what);
        // After the chown, which clears set-ID bits.
        if (::fchmod(fd, st.st_mode & 07777) < 0) throw_errno("chmod " + what);
        set_xattrs(xattrs, fd, "");
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        ::futimens(fd, times);
    }

    bool link_existing(const std::string& first, int dst, const std::string& name) {
        std::string parent = fs::dirname(first);
        UniqueFd pfd;
        if (parent.empty() || parent == ".") {
            pfd = UniqueFd(::dup(dst_root));
        } else {
            // Only directories this copy made: no symlink may be on the way.
            pfd = UniqueFd(oci::sys::openat2(dst_root, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                                        RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
        }
        return pfd && ::linkat(pfd.get(), fs::basename(first).c_str(), dst, name.c_str(), 0) == 0;
    }

    void dir(int src, int dst, const std::string& rel) {
        for (const auto& name : layers::list_dir(src)) {
            struct stat st;
            if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;  // raced away
            std::string r = rel.empty() ? name : rel + "/" + name;
            auto key = std::make_pair(st.st_dev, st.st_ino);
            if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
                auto it = links.find(key);
                if (it != links.end() && link_existing(it->second, dst, name)) continue;
            }
            if (S_ISDIR(st.st_mode)) {
                UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!s) {
                    warn("copy-up: cannot read " + r + ": " + std::strerror(errno));
                    continue;
                }
                if (::mkdirat(dst, name.c_str(), 0700) < 0) throw_errno("mkdir " + r);
                UniqueFd d(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!d) throw_errno("open " + r);
                dir(s.get(), d.get(), r);
                finish_fd(d.get(), st, layers::read_xattrs_fd(s.get()), r);
            } else if (S_ISREG(st.st_mode)) {
                UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
                if (!s) {
                    warn("copy-up: cannot read " + r + ": " + std::strerror(errno));
                    continue;
                }
                UniqueFd d(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
                if (!d) throw_errno("create " + r);
                copy_data(s.get(), d.get(), r);
                finish_fd(d.get(), st, layers::read_xattrs_fd(s.get()), r);
            } else if (S_ISLNK(st.st_mode)) {
                std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
                ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
                if (n < 0) throw_errno("readlink " + r);
                target.resize(static_cast<size_t>(n));
                if (::symlinkat(target.c_str(), dst, name.c_str()) < 0) throw_errno("symlink " + r);
                chown_tolerant(::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW), r);
                set_xattrs(layers::read_xattrs_at(src, name), -1, layers::proc_path(dst, name));
                struct timespec times[2] = {st.st_atim, st.st_mtim};
                ::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
            } else {
                // Device nodes cannot be made in a user namespace: the
                // container's /dev is where devices come from anyway.
                if (::mknodat(dst, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0) {
                    warn("copy-up: cannot create " + r + ": " + std::strerror(errno));
                    continue;
                }
                UniqueFd d(::openat(dst, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
                if (!d) throw_errno("open " + r);
                chown_tolerant(::fchownat(d.get(), "", st.st_uid, st.st_gid, AT_EMPTY_PATH), r);
                std::string via = "/proc/self/fd/" + std::to_string(d.get());
                if (::chmod(via.c_str(), st.st_mode & 07777) < 0) throw_errno("chmod " + r);
                struct timespec times[2] = {st.st_atim, st.st_mtim};
                ::utimensat(AT_FDCWD, via.c_str(), times, 0);
            }
            if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) links.emplace(key, r);
        }
    }
};

bool is_mount_point(const std::string& path) {
    struct statx stx;
    if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0) return false;
    return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

void mount_volume(const VolumeMount& v, const LocalVolumeOptions& lo) {
    std::string what = "volume " + v.name + ": ";
    if (lo.bind()) {
        if (::mount(lo.device.c_str(), v.data_dir.c_str(), nullptr, MS_BIND | (lo.flags & MS_REC), nullptr) < 0)
            throw_errno(what + "bind " + lo.device);
        unsigned long extra = lo.flags & ~(MS_BIND | MS_REC);
        if (extra && ::mount(nullptr, v.data_dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | extra, nullptr) < 0)
            throw_errno(what + "remount " + lo.device);
        return;
    }
    if (::mount(lo.device.c_str(), v.data_dir.c_str(), lo.type.c_str(), lo.flags,
                lo.data.empty() ? nullptr : lo.data.c_str()) < 0)
        throw_errno(what + "mount " + lo.type + " " + lo.device);
}

}  // namespace

bool copy_up(const std::string& rootfs, const std::string& path, const std::string& data_dir) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open " + rootfs);
    UniqueFd src(oci::sys::openat2(root.get(), path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
    if (!src) {
        if (errno == ENOENT || errno == ENOTDIR) return false;  // nothing there in the image
        throw_errno("copy-up: open " + path + " in the container");
    }
    UniqueFd dst(::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst) throw_errno("open " + data_dir);
    if (!layers::list_dir(dst.get()).empty()) return false;  // Docker: only into an empty volume
    struct stat st;
    if (::fstat(src.get(), &st) < 0) throw_errno("stat " + path);
    Copier c{dst.get(), {}};
    try {
        c.dir(src.get(), dst.get(), "");
        c.finish_fd(dst.get(), st, layers::read_xattrs_fd(src.get()), path);
    } catch (const Error& e) {
        throw Error("copying the image's " + path + " into its volume: " + e.what());
    }
    return true;
}

void prepare_volumes(const std::vector<VolumeMount>& volumes, ContainerSpec& spec, const std::string& rootfs,
                     bool rootless) {
    for (auto& v : volumes) {
        auto lo = parse_local_options(v.options, rootless);
        if (lo.mounted()) mount_volume(v, lo);
        if (v.copy_up) copy_up(rootfs, v.destination, v.data_dir);
    }
    for (auto& m : spec.mounts) {
        if (m.type != "volume") continue;
        auto v = std::find_if(volumes.begin(), volumes.end(), [&](auto& x) { return x.destination == m.destination; });
        if (v == volumes.end()) throw Error("volume mount " + m.destination + ": the volume was not resolved");
        m.source = v->data_dir;
        std::erase_if(m.options, [](const std::string& o) {
            return o == "nocopy" || o == kAnonymousMountOption || o.starts_with(kVolumeOptPrefix) || o.starts_with(kVolumeLabelPrefix);
        });
    }
}

void remove_volume_dir(const std::string& volume_dir, const std::string& data_dir) {
    ::umount2(data_dir.c_str(), MNT_DETACH);
    if (is_mount_point(data_dir)) throw Error("volume " + data_dir + " is still mounted");
    layers::remove_tree(volume_dir);
}

void remove_anonymous_volumes(state::Database& db, const std::vector<VolumeMount>& volumes,
                              const std::string& container_id) {
    // Most containers have none: no query then (run --rm is on the hot path).
    if (std::none_of(volumes.begin(), volumes.end(), [](auto& v) { return v.anonymous; })) return;
    VolumeRecords records(db);
    std::map<std::string, std::vector<std::string>> users;
    try {
        users = records.users();
    } catch (const Error& e) {
        warn("anonymous volumes kept: " + std::string(e.what()));
        return;
    }
    for (auto& v : volumes) {
        if (!v.anonymous) continue;
        auto& ids = users[v.name];
        if (std::any_of(ids.begin(), ids.end(), [&](auto& id) { return id != container_id; })) continue;
        try {
            auto rec = records.get(v.name);
            if (!rec || !rec->anonymous) continue;
            remove_volume_dir(v.volume_dir, v.data_dir);
            records.remove(v.name);
        } catch (const Error& e) {
            warn("removing anonymous volume " + v.name + ": " + e.what());
        }
    }
}

}  // namespace skiff::container
