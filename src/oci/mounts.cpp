#include "oci/mounts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "oci/devices.hpp"
#include "oci/sys.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::oci {

namespace {

constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

struct FlagOpt {
    const char* name;
    bool clear;
    unsigned long flag;  // MS_*
    uint64_t attr;       // MOUNT_ATTR_* (0: none)
};

// Options that are mount flags rather than filesystem data.
const FlagOpt kFlagOpts[] = {
    {"ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"nodev", false, MS_NODEV, MOUNT_ATTR_NODEV},
    {"dev", true, MS_NODEV, MOUNT_ATTR_NODEV},
    {"noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"nosymfollow", false, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    {"nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"sync", false, MS_SYNCHRONOUS, 0},
    {"async", true, MS_SYNCHRONOUS, 0},
    {"dirsync", false, MS_DIRSYNC, 0},
    {"remount", false, MS_REMOUNT, 0},
    {"mand", false, MS_MANDLOCK, 0},
    {"nomand", true, MS_MANDLOCK, 0},
    {"silent", false, MS_SILENT, 0},
    {"loud", true, MS_SILENT, 0},
    {"iversion", false, MS_I_VERSION, 0},
    {"noiversion", true, MS_I_VERSION, 0},
    {"lazytime", false, MS_LAZYTIME, 0},
    {"nolazytime", true, MS_LAZYTIME, 0},
};

// atime modes are one field: setting one clears the others.
struct AtimeOpt {
    const char* name;
    unsigned long flag;
    uint64_t attr;
};
const AtimeOpt kAtimeOpts[] = {
    {"noatime", MS_NOATIME, MOUNT_ATTR_NOATIME},
    {"relatime", MS_RELATIME, MOUNT_ATTR_RELATIME},
    {"strictatime", MS_STRICTATIME, MOUNT_ATTR_STRICTATIME},
};

const std::map<std::string, unsigned long>& propagations() {
    static const std::map<std::string, unsigned long> m = {
        {"private", MS_PRIVATE},  {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},    {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},      {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};
    return m;
}

int do_mount_setattr(int dfd, const char* path, unsigned flags, uint64_t set, uint64_t clr,
                     uint64_t propagation = 0) {
    struct mount_attr a {};
    a.attr_set = set;
    a.attr_clr = clr;
    a.propagation = propagation;
    return ::mount_setattr(dfd, path, flags, &a, sizeof(a));
}

std::string with_label(std::string data, const std::string& label) {
    if (label.empty()) return data;
    return data + (data.empty() ? "" : ",") + "context=\"" + label + "\"";
}

// An O_PATH fd of whatever is now mounted at `dest` (the fd taken before
// mounting still names the directory underneath).
UniqueFd reopen(int rootfd, const std::string& dest) {
    int fd = sys::openat2(rootfd, dest.c_str(), O_PATH | O_CLOEXEC, kResolve);
    if (fd < 0) throw_errno("open " + dest + " in the container");
    return UniqueFd(fd);
}

// Bind `source` onto `target` with the new mount API: the detached copy
// gets its flags and propagation before it becomes visible, and attaches
// by fd, so no path is resolved twice.
void bind_mount(const std::string& source, int target, const MountOptions& o, const std::string& what) {
    unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o.recursive ? AT_RECURSIVE : 0);
    UniqueFd tree(::open_tree(AT_FDCWD, source.c_str(), tree_flags));
    if (!tree) throw_errno(what + ": open_tree " + source);
    // "ro" and friends on an rbind cover the whole subtree: a read-only
    // /sys must not leave /sys/fs/cgroup writable. Clearing (rw, suid)
    // applies to the top only, since submounts may hold locked flags.
    // An atime mode is set by clearing the whole atime field in the same call.
    uint64_t atime_clr = o.attr_clr & MOUNT_ATTR__ATIME;
    uint64_t top_clr = o.attr_clr & ~MOUNT_ATTR__ATIME;
    if (o.attr_set || atime_clr || o.rattr_set || o.rattr_clr) {
        unsigned f = AT_EMPTY_PATH | (o.recursive ? AT_RECURSIVE : 0);
        if (do_mount_setattr(tree.get(), "", f, o.attr_set | o.rattr_set, atime_clr | o.rattr_clr) < 0)
            throw_errno(what + ": mount_setattr");
    }
    if (top_clr && do_mount_setattr(tree.get(), "", AT_EMPTY_PATH, 0, top_clr) < 0)
        throw_errno(what + ": mount_setattr");
    if (o.propagation) {
        unsigned f = AT_EMPTY_PATH | (o.propagation & MS_REC ? AT_RECURSIVE : 0);
        if (do_mount_setattr(tree.get(), "", f, 0, 0, o.propagation & ~MS_REC) < 0)
            throw_errno(what + ": set propagation");
    }
    if (::move_mount(tree.get(), "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno(what + ": move_mount");
}

// A filesystem mount onto an O_PATH fd.
void fs_mount(const std::string& source, int target, const std::string& type, unsigned long flags,
              const std::string& data, const std::string& what) {
    std::string t = sys::fd_path(target);
    if (::mount(source.c_str(), t.c_str(), type.c_str(), flags, data.empty() ? nullptr : data.c_str()) < 0)
        throw_errno(what + ": mount " + type);
}

bool is_dir_path(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Copies the tree below `from` (a directory fd) into `to`: "tmpcopyup",
// so that a tmpfs over an image directory starts with its content.
void copy_tree(int from, int to) {
    int dup = ::openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0) throw_errno("tmpcopyup: open");
    DIR* d = ::fdopendir(dup);
    if (!d) {
        ::close(dup);
        throw_errno("tmpcopyup: fdopendir");
    }
    struct Closer {
        DIR* d;
        ~Closer() { ::closedir(d); }
    } closer{d};
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st;
        if (::fstatat(from, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("tmpcopyup: stat " + n);
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(to, n.c_str(), st.st_mode & 07777) < 0 && errno != EEXIST) throw_errno("tmpcopyup: mkdir " + n);
            UniqueFd sf(::openat(from, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            UniqueFd df(::openat(to, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sf || !df) throw_errno("tmpcopyup: open " + n);
            copy_tree(sf.get(), df.get());
        } else if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            ssize_t len = ::readlinkat(from, n.c_str(), buf, sizeof(buf) - 1);
            if (len < 0) throw_errno("tmpcopyup: readlink " + n);
            buf[len] = 0;
            if (::symlinkat(buf, to, n.c_str()) < 0) throw_errno("tmpcopyup: symlink " + n);
        } else if (S_ISREG(st.st_mode)) {
            UniqueFd sf(::openat(from, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            UniqueFd df(::openat(to, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777));
            if (!sf || !df) throw_errno("tmpcopyup: open " + n);
            char buf[65536];
            ssize_t r;
            while ((r = ::read(sf.get(), buf, sizeof(buf))) > 0)
                if (::write(df.get(), buf, static_cast<size_t>(r)) != r) throw_errno("tmpcopyup: write " + n);
            if (r < 0) throw_errno("tmpcopyup: read " + n);
        } else {
            if (::mknodat(to, n.c_str(), st.st_mode, st.st_rdev) < 0) throw_errno("tmpcopyup: mknod " + n);
        }
        ::fchownat(to, n.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        if (!S_ISLNK(st.st_mode)) ::fchmodat(to, n.c_str(), st.st_mode & 07777, 0);
    }
}

constexpr const char* kCgroupRoot = "/sys/fs/cgroup/";

// One of the container's own cgroups, by the name of its hierarchy's mount
// below /sys/fs/cgroup ("memory", "cpu,cpuacct", "unified").
struct OwnCgroup {
    std::string name, dir;
};

// The container's cgroup directories that lie in a hierarchy mounted
// directly below /sys/fs/cgroup (v1 and hybrid hosts), by hierarchy.
std::vector<OwnCgroup> own_v1_cgroups(const std::vector<std::string>& dirs) {
    const std::string prefix = kCgroupRoot;
    std::vector<OwnCgroup> out;
    for (auto& d : dirs) {
        if (d.rfind(prefix, 0) != 0) continue;
        auto slash = d.find('/', prefix.size());
        if (slash == std::string::npos) continue;  // a hierarchy's root is never a container's own
        out.push_back({d.substr(prefix.size(), slash - prefix.size()), d});
    }
    return out;
}

// The host's aliases of joint hierarchies ("cpu" -> "cpu,cpuacct"), for
// those among `own`: name and target.
std::vector<std::pair<std::string, std::string>> cgroup_aliases(const std::vector<OwnCgroup>& own) {
    std::vector<std::pair<std::string, std::string>> out;
    DIR* d = ::opendir(kCgroupRoot);
    if (!d) return out;
    while (auto* e = ::readdir(d)) {
        if (e->d_type != DT_LNK) continue;
        char buf[256];
        ssize_t n = ::readlinkat(::dirfd(d), e->d_name, buf, sizeof(buf) - 1);
        if (n <= 0) continue;
        std::string target(buf, static_cast<size_t>(n));
        for (auto& o : own)
            if (o.name == target) out.emplace_back(e->d_name, target);
    }
    ::closedir(d);
    return out;
}

bool host_is_pure_v2() {
    struct statfs sf;
    return ::statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == 0x63677270;  // CGROUP2_SUPER_MAGIC
}

}  // namespace

unsigned long propagation_flags(const std::string& name) {
    if (name.empty()) return 0;
    auto it = propagations().find(name);
    if (it == propagations().end()) throw Error("unknown propagation \"" + name + "\"");
    return it->second;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions o;
    for (auto& opt : options) {
        bool matched = false;
        for (auto& f : kFlagOpts) {
            if (opt != f.name) continue;
            matched = true;
            if (f.clear) {
                o.flags &= ~f.flag;
                o.attr_set &= ~f.attr;
                o.attr_clr |= f.attr;
            } else {
                o.flags |= f.flag;
                o.attr_set |= f.attr;
                o.attr_clr &= ~f.attr;
            }
        }
        for (auto& a : kAtimeOpts) {
            if (opt != a.name) continue;
            matched = true;
            o.flags = (o.flags & ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) | a.flag;
            o.attr_set = (o.attr_set & ~MOUNT_ATTR__ATIME) | a.attr;
            o.attr_clr |= MOUNT_ATTR__ATIME;
        }
        if (opt == "atime" || opt == "norelatime" || opt == "nostrictatime") {
            matched = true;
            o.flags &= ~(opt == "atime" ? MS_NOATIME : opt == "norelatime" ? MS_RELATIME : MS_STRICTATIME);
        }
        if (matched) continue;
        if (opt == "bind") {
            o.bind = true;
        } else if (opt == "rbind") {
            o.bind = o.recursive = true;
        } else if (auto p = propagations().find(opt); p != propagations().end()) {
            o.propagation = p->second;
        } else if (opt == "tmpcopyup") {
            o.tmpcopyup = true;
        } else if (opt == "idmap" || opt == "ridmap") {
            throw Error("mount option \"" + opt + "\" (id-mapped mounts) is not supported by this runtime");
        } else if (opt.size() > 1 && opt[0] == 'r' && opt != "rw" && opt != "relatime") {
            // Recursive variants (runtime-spec 1.1): rro, rnosuid, ratime …
            std::string base = opt.substr(1);
            bool found = false;
            for (auto& f : kFlagOpts) {
                if (base != f.name || !f.attr) continue;
                found = true;
                if (f.clear) o.rattr_clr |= f.attr;
                else o.rattr_set |= f.attr;
            }
            for (auto& a : kAtimeOpts) {
                if (base != a.name) continue;
                found = true;
                o.rattr_set = (o.rattr_set & ~MOUNT_ATTR__ATIME) | a.attr;
                o.rattr_clr |= MOUNT_ATTR__ATIME;
            }
            if (base == "atime") {
                found = true;
                o.rattr_clr |= MOUNT_ATTR__ATIME;
            }
            if (!found) o.data += (o.data.empty() ? "" : ",") + opt;
        } else {
            o.data += (o.data.empty() ? "" : ",") + opt;
        }
    }
    return o;
}

UniqueFd make_in_root(int rootfd, const std::string& path, bool dir) {
    int fd = sys::openat2(rootfd, path.c_str(), O_PATH | O_CLOEXEC, kResolve);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT) throw_errno("open " + path + " in the container");
    std::string parent = fs::dirname(path);
    std::string base = fs::basename(path);
    if (base.empty() || base == "/" || base == "." || base == "..") throw Error("cannot create " + path + " in the container");
    UniqueFd pfd = make_in_root(rootfd, parent.empty() ? "/" : parent, true);
    // Creating through the parent's O_PATH fd: reopen it as a directory.
    UniqueFd pdir(::openat(pfd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!pdir) throw_errno("open " + parent + " in the container");
    if (dir) {
        if (::mkdirat(pdir.get(), base.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("mkdir " + path + " in the container");
    } else {
        int f = ::openat(pdir.get(), base.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) throw_errno("create " + path + " in the container");
        if (f >= 0) ::close(f);
    }
    fd = sys::openat2(rootfd, path.c_str(), O_PATH | O_CLOEXEC, kResolve);
    if (fd < 0) throw_errno("open " + path + " in the container");
    return UniqueFd(fd);
}

namespace {

// Only the container's own cgroups are shown, never the host's tree (where
// every other container's cgroup is): with its own cgroup namespace on a
// pure v2 host, a cgroup2 mount (rooted at its cgroup); otherwise a bind
// of each of its own directories, on v1 one per hierarchy in a tmpfs, as
// runc and crun do. A container without a cgroup of its own (rootless)
// gets the empty tmpfs, which also covers a /sys bound from the host.
void mount_cgroup(const RootfsContext& ctx, int rootfd, const Mount& m, const MountOptions& o, int target,
                  const std::string& what) {
    unsigned long flags = o.flags & ~(MS_BIND | MS_REC);
    MountOptions b = o;
    b.bind = true;
    b.recursive = false;  // nothing mounted below a cgroup directory belongs in the view
    b.propagation = 0;
    // A bind keeps its source's atime mode: in a user namespace the host's
    // is locked, and changing it would fail.
    b.attr_set &= ~static_cast<uint64_t>(MOUNT_ATTR__ATIME);
    b.attr_clr &= ~static_cast<uint64_t>(MOUNT_ATTR__ATIME);
    if (!ctx.cgroup_dirs.empty() && host_is_pure_v2()) {
        if (ctx.own_cgroupns) {
            if (ctx.before_cgroup_mount) ctx.before_cgroup_mount();
            fs_mount("cgroup2", target, "cgroup2", flags, "", what);
        } else {
            bind_mount(ctx.cgroup_dirs.front(), target, b, what);
        }
        return;
    }
    fs_mount("tmpfs", target, "tmpfs", (flags & ~MS_RDONLY), "mode=755", what);
    auto own = own_v1_cgroups(ctx.cgroup_dirs);
    for (auto& c : own) {
        UniqueFd sub = make_in_root(rootfd, m.destination + "/" + c.name, true);
        bind_mount(c.dir, sub.get(), b, what + "/" + c.name);
    }
    if (!own.empty()) {
        UniqueFd top = reopen(rootfd, m.destination);
        UniqueFd dir(::openat(top.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) throw_errno(what + ": open");
        for (auto& [name, to] : cgroup_aliases(own))
            if (::symlinkat(to.c_str(), dir.get(), name.c_str()) < 0 && errno != EEXIST)
                throw_errno(what + ": symlink " + name);
    }
    if (flags & MS_RDONLY) {
        UniqueFd top = reopen(rootfd, m.destination);
        if (do_mount_setattr(top.get(), "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0) < 0)
            throw_errno(what + ": make read-only");
    }
}

void mount_one(const RootfsContext& ctx, int rootfd, const Mount& m) {
    std::string what = "mount " + m.destination;
    MountOptions o = parse_mount_options(m.options);
    if (m.type == "bind") o.bind = true;
    std::string source = m.source;
    if (o.bind && !source.empty() && source[0] != '/') source = fs::join(ctx.bundle, source);
    bool dir = true;
    if (o.bind) {
        struct stat st;
        if (::stat(source.c_str(), &st) < 0) throw_errno(what + ": source " + source);
        dir = S_ISDIR(st.st_mode);
    }
    UniqueFd target = make_in_root(rootfd, m.destination, dir);
    const std::string& label = ctx.spec->linux.mount_label;

    if (o.bind) {
        bind_mount(source, target.get(), o, what);
        return;
    }
    unsigned long flags = o.flags;
    if (m.type == "sysfs" && ctx.userns && !ctx.own_netns) {
        // sysfs belongs to the network namespace's owner: without one of
        // its own, a user namespace gets the host's /sys, bound read-only.
        MountOptions b = o;
        b.bind = b.recursive = true;
        b.attr_set |= MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        bind_mount("/sys", target.get(), b, what);
        return;
    }
    if (m.type == "cgroup" || m.type == "cgroup2") {
        mount_cgroup(ctx, rootfd, m, o, target.get(), what);
        return;
    }
    UniqueFd before;
    if (o.tmpcopyup) {
        if (m.type != "tmpfs") throw Error(what + ": tmpcopyup is only valid for tmpfs");
        before.reset(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!before) throw_errno(what + ": open for tmpcopyup");
    }
    std::string data = (m.type == "proc" || m.type == "mqueue") ? o.data : with_label(o.data, label);
    std::string t = sys::fd_path(target.get());
    if (::mount(m.source.c_str(), t.c_str(), m.type.c_str(), flags, data.empty() ? nullptr : data.c_str()) < 0) {
        int err = errno;
        if (err == EPERM && ctx.userns && m.type == "mqueue" && is_dir_path("/dev/mqueue")) {
            // mqueue belongs to the ipc namespace's owner; share the host's instead.
            MountOptions b = o;
            b.bind = b.recursive = true;
            bind_mount("/dev/mqueue", target.get(), b, what);
            return;
        }
        throw_errno(what + ": mount " + m.type, err);
    }
    if (o.tmpcopyup || o.propagation || o.rattr_set || o.rattr_clr) {
        UniqueFd now = reopen(rootfd, m.destination);
        if (o.tmpcopyup) {
            UniqueFd dirfd(::openat(now.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!dirfd) throw_errno(what + ": open for tmpcopyup");
            copy_tree(before.get(), dirfd.get());
        }
        if ((o.rattr_set || o.rattr_clr) &&
            do_mount_setattr(now.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, o.rattr_set, o.rattr_clr) < 0)
            throw_errno(what + ": mount_setattr");
        if (o.propagation &&
            do_mount_setattr(now.get(), "", AT_EMPTY_PATH | (o.propagation & MS_REC ? AT_RECURSIVE : 0), 0, 0,
                             o.propagation & ~MS_REC) < 0)
            throw_errno(what + ": set propagation");
    }
}

// pivot_root refuses a new root whose parent mount is shared. With a
// shared rootfsPropagation, make just that parent private.
void make_parent_private(const std::string& rootfs) {
    auto text = fs::read_file_if_exists("/proc/self/mountinfo");
    if (!text) return;
    std::string parent = fs::dirname(rootfs);
    std::string best;
    for (auto& line : str::split(*text, '\n')) {
        std::istringstream in(line);
        std::string id, par, devno, root, mnt;
        in >> id >> par >> devno >> root >> mnt;
        if (mnt.empty()) continue;
        bool prefix = parent == mnt || mnt == "/" || parent.rfind(mnt + "/", 0) == 0;
        if (prefix && mnt.size() > best.size()) best = mnt;
    }
    if (!best.empty() && ::mount(nullptr, best.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        throw_errno("make " + best + " private");
}

}  // namespace

UniqueFd prepare_rootfs(const RootfsContext& ctx) {
    const Spec& spec = *ctx.spec;
    unsigned long prop = propagation_flags(spec.linux.rootfs_propagation);
    // Nothing mounted in the container may propagate back to the host:
    // by default the whole tree becomes a slave of the host's.
    unsigned long root_prop = prop ? (prop | MS_REC) : (MS_SLAVE | MS_REC);
    if (::mount(nullptr, "/", nullptr, root_prop, nullptr) < 0) throw_errno("set propagation of /");
    // pivot_root needs the new root to be a mount point.
    if (::mount(ctx.rootfs.c_str(), ctx.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        throw_errno("bind mount rootfs " + ctx.rootfs);
    if (prop & MS_SHARED) make_parent_private(ctx.rootfs);
    UniqueFd rootfd(::open(ctx.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfd) throw_errno("open rootfs " + ctx.rootfs);

    bool dev_bound = false;
    for (auto& m : spec.mounts) {
        mount_one(ctx, rootfd.get(), m);
        if (m.destination == "/dev") {
            auto o = parse_mount_options(m.options);
            dev_bound = o.bind || m.type == "bind";
        }
    }
    // A /dev bound from the host already has its devices.
    create_devices(rootfd.get(), spec, ctx.userns, !dev_bound);
    return rootfd;
}

void enter_rootfs(int rootfd, const std::string& rootfs, bool no_pivot) {
    if (::fchdir(rootfd) < 0) throw_errno("chdir to rootfs");
    if (!no_pivot) {
        // pivot_root(".", ".") stacks the old root on top of the new one;
        // detaching it then leaves only the container's tree.
        if (sys::pivot_root(".", ".") == 0) {
            if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) throw_errno("make old root a slave");
            if (::umount2(".", MNT_DETACH) < 0) throw_errno("detach old root");
            if (::chdir("/") < 0) throw_errno("chdir /");
            return;
        }
        if (errno != EINVAL) throw_errno("pivot_root " + rootfs);
        // EINVAL: the current root is an initramfs, which cannot be pivoted.
    }
    if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) throw_errno("move rootfs to /");
    if (::chroot(".") < 0) throw_errno("chroot " + rootfs);
    if (::chdir("/") < 0) throw_errno("chdir /");
}

void finish_rootfs(const Spec& spec) {
    unsigned long prop = propagation_flags(spec.linux.rootfs_propagation);
    if (prop && ::mount(nullptr, "/", nullptr, prop, nullptr) < 0) throw_errno("set propagation of the root");
    for (auto& p : spec.linux.readonly_paths) {
        // Bind onto itself, then read-only for the whole subtree.
        if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
            if (errno == ENOENT) continue;
            throw_errno("readonly path " + p);
        }
        if (do_mount_setattr(AT_FDCWD, p.c_str(), AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) < 0)
            throw_errno("readonly path " + p);
    }
    for (auto& p : spec.linux.masked_paths) {
        struct stat st;
        if (::stat(p.c_str(), &st) < 0) {
            if (errno == ENOENT || errno == ENOTDIR) continue;
            throw_errno("masked path " + p);
        }
        int r = S_ISDIR(st.st_mode)
                    ? ::mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k")
                    : ::mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr);
        if (r < 0) throw_errno("masked path " + p);
    }
    if (spec.root_readonly && do_mount_setattr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY, 0) < 0)
        throw_errno("make the root read-only");
}

}  // namespace skiff::oci
