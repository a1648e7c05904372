#include "oci/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "oci/mounts.hpp"
#include "oci/sys.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::oci {

namespace {

Device char_device(const char* path, int64_t major, int64_t minor) {
    Device d;
    d.type = 'c';
    d.path = path;
    d.major = major;
    d.minor = minor;
    d.file_mode = 0666;
    d.uid = 0;
    d.gid = 0;
    return d;
}

const std::vector<Device>& default_devices() {
    static const std::vector<Device> devs = {
        char_device("/dev/null", 1, 3),    char_device("/dev/zero", 1, 5),
        char_device("/dev/full", 1, 7),    char_device("/dev/random", 1, 8),
        char_device("/dev/urandom", 1, 9), char_device("/dev/tty", 5, 0),
    };
    return devs;
}

mode_t type_bits(char t) {
    switch (t) {
        case 'b': return S_IFBLK;
        case 'p': return S_IFIFO;
        default: return S_IFCHR;  // c and u (unbuffered) are both character devices
    }
}

// The directory a device goes in, opened for *at() calls. Devices of the
// default set share one open /dev.
UniqueFd parent_dir(int rootfd, const std::string& path) {
    UniqueFd parent = make_in_root(rootfd, fs::dirname(path), true);
    UniqueFd dir(::openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw_errno("open " + fs::dirname(path) + " in the container");
    return dir;
}

// The node itself. The setup runs with umask 0, so mknod's mode is exact.
void make_node(int dirfd, const Device& d) {
    std::string base = fs::basename(d.path);
    mode_t mode = type_bits(d.type) | (d.file_mode.value_or(0666) & 07777);
    dev_t dev = d.type == 'p' ? 0 : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    if (::mknodat(dirfd, base.c_str(), mode, dev) < 0) {
        // Replace what the image has there.
        if (errno != EEXIST || ::unlinkat(dirfd, base.c_str(), 0) < 0 || ::mknodat(dirfd, base.c_str(), mode, dev) < 0)
            throw_errno("mknod " + d.path);
    }
    uid_t uid = d.uid.value_or(0);
    gid_t gid = d.gid.value_or(0);
    if ((uid != ::geteuid() || gid != ::getegid()) && ::fchownat(dirfd, base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno("chown " + d.path);
}

// Inside a user namespace mknod is refused: bind the host's node onto an
// empty file instead (its owner and mode stay the host's).
void bind_node(int dirfd, const Device& d) {
    std::string base = fs::basename(d.path);
    UniqueFd target(::openat(dirfd, base.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!target) throw_errno("create " + d.path + " in the container");
    std::string t = sys::fd_path(target.get());
    if (::mount(d.path.c_str(), t.c_str(), nullptr, MS_BIND, nullptr) < 0) {
        if (errno == ENOENT) throw_errno("device " + d.path + ": not on the host, and a user namespace cannot mknod it");
        throw_errno("bind device " + d.path);
    }
}

void symlink_in_dev(int devfd, const char* target, const char* name) {
    if (::symlinkat(target, devfd, name) < 0 && errno != EEXIST) throw_errno(std::string("symlink /dev/") + name);
}

}  // namespace

void create_devices(int rootfd, const Spec& spec, bool userns, bool defaults) {
    auto make = [&](int dirfd, const Device& d) {
        if (userns && d.type != 'p') bind_node(dirfd, d);
        else make_node(dirfd, d);
    };
    if (defaults) {
        UniqueFd dev = parent_dir(rootfd, "/dev/null");
        for (auto& d : default_devices()) {
            bool overridden = false;
            for (auto& s : spec.linux.devices) overridden = overridden || s.path == d.path;
            if (!overridden) make(dev.get(), d);
        }
        symlink_in_dev(dev.get(), "/proc/self/fd", "fd");
        symlink_in_dev(dev.get(), "/proc/self/fd/0", "stdin");
        symlink_in_dev(dev.get(), "/proc/self/fd/1", "stdout");
        symlink_in_dev(dev.get(), "/proc/self/fd/2", "stderr");
        // The pty multiplexer of the container's own devpts instance.
        symlink_in_dev(dev.get(), "pts/ptmx", "ptmx");
    }
    for (auto& d : spec.linux.devices) make(parent_dir(rootfd, d.path).get(), d);
}

}  // namespace skiff::oci
