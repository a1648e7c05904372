#include "layers/mount.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "layers/fsops.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace skiff::layers {

Mount& Mount::operator=(Mount&& o) noexcept {
    if (this != &o) {
        if (armed()) ::umount2(target_.c_str(), MNT_DETACH);
        target_ = std::move(o.target_);
        o.target_.clear();
    }
    return *this;
}

Mount::~Mount() {
    if (armed()) ::umount2(target_.c_str(), MNT_DETACH);
}

std::string Mount::release() {
    std::string t = std::move(target_);
    target_.clear();
    return t;
}

void Mount::unmount() {
    if (!armed()) return;
    std::string t = release();
    unmount_path(t);
}

namespace {

// Lowest-first in, top-first out: overlay lists the uppermost lower first.
std::vector<std::string> top_first(const std::vector<std::string>& lowers) {
    return {lowers.rbegin(), lowers.rend()};
}

// Paths go into comma- and colon-separated option strings.
void check_option_path(const std::string& p) {
    if (p.find_first_of(",:") != std::string::npos)
        throw Error("overlay: the path \"" + p + "\" contains ',' or ':', which mount options cannot carry");
}

std::string classic_options(const OverlayConfig& cfg) {
    std::string lower;
    for (const auto& l : top_first(cfg.lowers)) {
        check_option_path(l);
        lower += (lower.empty() ? "" : ":") + l;
    }
    std::string opts = "lowerdir=" + lower;
    if (!cfg.upper.empty()) {
        check_option_path(cfg.upper);
        check_option_path(cfg.work);
        opts += ",upperdir=" + cfg.upper + ",workdir=" + cfg.work;
    }
    if (cfg.userxattr) opts += ",userxattr";
    for (const auto& e : cfg.extra) opts += "," + e;
    return opts;
}

// The kernel's own explanation of a failed fsconfig/fsmount.
std::string fs_context_log(int fsfd) {
    std::string out;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fsfd, buf, sizeof buf - 1);
        if (n <= 0) break;
        buf[n] = '\0';
        std::string line(buf, static_cast<size_t>(n));
        // Lines look like "e overlay: failed to …".
        if (line.size() > 2 && line[1] == ' ') line = line.substr(2);
        while (!line.empty() && line.back() == '\n') line.pop_back();
        out += (out.empty() ? "" : "; ") + line;
    }
    return out;
}

[[noreturn]] void mount_failed(const std::string& target, int err, const std::string& log) {
    std::string msg = "mount overlay on " + target + ": " + std::strerror(err);
    if (!log.empty()) msg += " (" + log + ")";
    throw Error(msg);
}

enum class Api { Done, Unsupported };

// The new mount API, one "lowerdir+" per layer (Linux 6.8+).
Api mount_overlay_new_api(const OverlayConfig& cfg, const std::string& target) {
    UniqueFd fsfd(::fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fsfd) {
        if (errno == ENOSYS) return Api::Unsupported;
        throw_errno("fsopen overlay");
    }
    auto set = [&](const char* key, const std::string& value) {
        return ::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0);
    };
    bool first = true;
    for (const auto& l : top_first(cfg.lowers)) {
        if (set("lowerdir+", l) < 0) {
            int err = errno;
            // A kernel before 6.8 does not know "lowerdir+": say so, and the
            // caller falls back to the classic option string.
            if (first && err == EINVAL) return Api::Unsupported;
            mount_failed(target, err, fs_context_log(fsfd.get()));
        }
        first = false;
    }
    if (!cfg.upper.empty() && (set("upperdir", cfg.upper) < 0 || set("workdir", cfg.work) < 0))
        mount_failed(target, errno, fs_context_log(fsfd.get()));
    if (cfg.userxattr && ::fsconfig(fsfd.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) < 0)
        mount_failed(target, errno, fs_context_log(fsfd.get()));
    for (const auto& e : cfg.extra) {
        auto eq = e.find('=');
        int rc = eq == std::string::npos
                     ? ::fsconfig(fsfd.get(), FSCONFIG_SET_FLAG, e.c_str(), nullptr, 0)
                     : ::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, e.substr(0, eq).c_str(),
                                  e.substr(eq + 1).c_str(), 0);
        if (rc < 0) mount_failed(target, errno, fs_context_log(fsfd.get()));
    }
    if (::fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        mount_failed(target, errno, fs_context_log(fsfd.get()));
    UniqueFd mnt(::fsmount(fsfd.get(), FSMOUNT_CLOEXEC, 0));
    if (!mnt) mount_failed(target, errno, fs_context_log(fsfd.get()));
    if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
        mount_failed(target, errno, "");
    return Api::Done;
}

}  // namespace

Mount mount_overlay(const OverlayConfig& cfg, const std::string& target) {
    if (cfg.lowers.empty()) throw Error("mount overlay on " + target + ": no lower layer");
    if (mount_overlay_new_api(cfg, target) == Api::Done) return Mount(target);
    std::string opts = classic_options(cfg);
    if (opts.size() >= static_cast<size_t>(::sysconf(_SC_PAGESIZE)))
        throw Error("mount overlay on " + target + ": " + std::to_string(cfg.lowers.size()) +
                    " layers do not fit in one mount option page on this kernel (Linux 6.8 lifts the limit)");
    if (::mount("overlay", target.c_str(), "overlay", 0, opts.c_str()) < 0) mount_failed(target, errno, "");
    return Mount(target);
}

Mount mount_fuse_overlayfs(const OverlayConfig& cfg, const std::string& target, const std::string& program) {
    if (cfg.upper.empty()) throw Error("fuse-overlayfs needs an upper dir");
    std::string opts = classic_options(cfg);
    // Container processes run as other ids than the mounter; FUSE refuses
    // them unless allow_other (permitted to root, including namespace root).
    if (::geteuid() == 0) opts += ",allow_other";
    auto path = fs::find_executable(program);
    if (!path) throw Error(program + " not found: install fuse-overlayfs or use another storage driver");
    // fuse-overlayfs daemonizes once mounted; its daemon closes our pipes.
    ProcessResult r = run_capture({*path, "-o", opts, target});
    if (r.status != 0) {
        std::string err = r.err.empty() ? r.out : r.err;
        while (!err.empty() && err.back() == '\n') err.pop_back();
        throw Error("fuse-overlayfs on " + target + " failed (exit " + std::to_string(r.status) + "): " + err);
    }
    return Mount(target);
}

void unmount_path(const std::string& target) {
    if (::umount2(target.c_str(), MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT) return;
    int err = errno;
    if (err == EPERM) {
        // A FUSE mount made through fusermount: only fusermount may undo it.
        for (const char* helper : {"fusermount3", "fusermount"}) {
            if (!fs::find_executable(helper)) continue;
            if (run_capture({helper, "-u", "-z", target}).status == 0) return;
        }
    }
    throw_errno("unmount " + target, err);
}

bool is_mountpoint(const std::string& path) {
    struct statx stx;
    if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
        (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
        return stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
    struct stat a, b;
    if (::lstat(path.c_str(), &a) < 0 || ::lstat((path + "/..").c_str(), &b) < 0) return false;
    return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

std::vector<std::string> mounts_under(const std::string& dir) {
    std::vector<std::string> out;
    char real[PATH_MAX];
    if (!::realpath(dir.c_str(), real)) return out;
    std::string prefix = real;
    if (prefix != "/") prefix += "/";
    auto info = fs::read_file_if_exists("/proc/self/mountinfo");
    if (!info) return out;
    std::string_view rest = *info;
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        // "ID PARENT MAJ:MIN ROOT MOUNTPOINT …": the fifth field, with
        // space, tab, newline and backslash escaped as \ooo.
        size_t pos = 0;
        for (int field = 0; field < 4 && pos != std::string_view::npos; ++field) {
            pos = line.find(' ', pos);
            if (pos != std::string_view::npos) ++pos;
        }
        if (pos == std::string_view::npos) continue;
        std::string_view raw = line.substr(pos, line.find(' ', pos) - pos);
        std::string point;
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\\' && i + 3 < raw.size()) {
                int v = 0;
                bool octal = true;
                for (size_t k = 1; k <= 3; ++k) {
                    char c = raw[i + k];
                    if (c < '0' || c > '7') octal = false;
                    v = v * 8 + (c - '0');
                }
                if (octal) {
                    point += static_cast<char>(v);
                    i += 3;
                    continue;
                }
            }
            point += raw[i];
        }
        if (point.size() > prefix.size() && point.compare(0, prefix.size(), prefix) == 0) out.push_back(point);
    }
    // Deeper paths first; a path mounted twice is listed once.
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() > b.size() : a < b;
    });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string boot_id() {
    auto id = fs::read_file_if_exists("/proc/sys/kernel/random/boot_id");
    if (!id) return "unknown";
    while (!id->empty() && (id->back() == '\n' || id->back() == ' ')) id->pop_back();
    return *id;
}

namespace {

// The test mount, in a child with its own mount namespace so that nothing
// shows up (even briefly) in the caller's. Returns 0 or an errno.
int probe_in_child(const std::string& scratch, bool userxattr) {
    const std::string merged = scratch + "/merged";
    const std::string victim = merged + "/file";
    std::string opts = "lowerdir=" + scratch + "/l2:" + scratch + "/l1,upperdir=" + scratch +
                       "/upper,workdir=" + scratch + "/work" + (userxattr ? ",userxattr" : "");
    // `volatile` (Linux >= 5.10) spares the teardown a sync of the whole
    // file system under the store: after a big write that costs 100s of ms.
    std::string volatile_opts = opts + ",volatile";
    // An unprivileged caller outside skiff's namespace (`skiff info`) tests
    // in a user namespace of its own, mapping just itself: what overlay
    // allows there, it allows in the real one.
    const bool own_userns = ::geteuid() != 0;
    const std::string uid_map = "0 " + std::to_string(::geteuid()) + " 1";
    const std::string gid_map = "0 " + std::to_string(::getegid()) + " 1";
    pid_t pid = ::fork();
    if (pid < 0) return errno;
    if (pid == 0) {
        // Only system calls from here on: the parent may have threads.
        if (own_userns) {
            if (::unshare(CLONE_NEWUSER) < 0) ::_exit(errno);
            auto put = [](const char* file, const std::string& text) {
                int fd = ::open(file, O_WRONLY | O_CLOEXEC);
                if (fd < 0) ::_exit(errno);
                if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) ::_exit(errno);
                ::close(fd);
            };
            put("/proc/self/setgroups", "deny");
            put("/proc/self/uid_map", uid_map);
            put("/proc/self/gid_map", gid_map);
        }
        if (::unshare(CLONE_NEWNS) < 0) ::_exit(errno);
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) ::_exit(errno);
        if (::mount("overlay", merged.c_str(), "overlay", 0, volatile_opts.c_str()) < 0 &&
            ::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) < 0)
            ::_exit(errno);
        // Deleting a lower file makes the kernel create a whiteout: the one
        // thing rootless overlay needs beyond the mount itself.
        if (::unlink(victim.c_str()) < 0) ::_exit(errno);
        ::umount2(merged.c_str(), MNT_DETACH);
        ::_exit(0);
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return EIO;
}

OverlayProbe run_probe(const std::string& storage_dir, bool userxattr) {
    OverlayProbe p;
    fs::make_dirs(storage_dir, 0700);
    std::string tmpl = storage_dir + "/.overlay-probe-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw_errno("create " + tmpl);
    const std::string& scratch = tmpl;
    int err;
    try {
        for (const char* d : {"l1", "l2", "upper", "work", "merged"})
            if (::mkdir((scratch + "/" + d).c_str(), 0700) < 0) throw_errno("mkdir");
        UniqueFd f(::open((scratch + "/l1/file").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        if (!f) throw_errno("create probe file");
        err = probe_in_child(scratch, userxattr);
    } catch (...) {
        remove_tree(scratch);
        throw;
    }
    remove_tree(scratch);
    p.supported = err == 0;
    if (err == EPERM)
        p.reason = "not permitted to mount overlay (needs root, or a user namespace on Linux >= 5.11)";
    else if (err == ENODEV)
        p.reason = "the kernel has no overlay file system";
    else if (err != 0)
        p.reason = std::string("test mount failed: ") + std::strerror(err);
    return p;
}

}  // namespace

OverlayProbe probe_overlay(const std::string& storage_dir, const std::string& cache_dir, bool userxattr) {
    const std::string cache = fs::join(cache_dir, userxattr ? "overlay-probe-userxattr" : "overlay-probe");
    const std::string bid = boot_id();
    if (auto c = fs::read_file_if_exists(cache)) {
        // "<boot id>\n<1|0>\n<reason>"
        auto nl1 = c->find('\n');
        auto nl2 = nl1 == std::string::npos ? nl1 : c->find('\n', nl1 + 1);
        if (nl2 != std::string::npos && c->substr(0, nl1) == bid) {
            OverlayProbe p;
            p.supported = c->substr(nl1 + 1, nl2 - nl1 - 1) == "1";
            p.reason = c->substr(nl2 + 1);
            return p;
        }
    }
    OverlayProbe p = run_probe(storage_dir, userxattr);
    // Renamed into place but not fsync'ed: a flush here would wait for all
    // dirty data of the file system, and a crash means a reboot, which
    // voids the entry anyway. A cache we cannot write only costs the next
    // command a probe.
    try {
        fs::make_dirs(cache_dir, 0700);
        std::string tmp = cache + ".tmp-" + std::to_string(::getpid());
        std::string text = bid + "\n" + (p.supported ? "1" : "0") + "\n" + p.reason;
        UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (fd && ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::rename(tmp.c_str(), cache.c_str()) == 0)
            return p;
        ::unlink(tmp.c_str());
    } catch (const Error&) {
    }
    return p;
}

}  // namespace skiff::layers
