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

// The node itself, in its parent directory.
void make_node(int rootfd, const Device& d) {
    UniqueFd parent = make_in_root(rootfd, fs::dirname(d.path), true);
    UniqueFd pdir(::openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!pdir) throw_errno("open " + fs::dirname(d.path));
    std::string base = fs::basename(d.path);
    mode_t perm = d.file_mode.value_or(0666) & 07777;
    ::unlinkat(pdir.get(), base.c_str(), 0);
    dev_t dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    if (::mknodat(pdir.get(), base.c_str(), type_bits(d.type) | perm, d.type == 'p' ? 0 : dev) < 0)
        throw_errno("mknod " + d.path);
    // mknod applied the umask: set the exact mode, then the owner.
    if (::fchmodat(pdir.get(), base.c_str(), perm, 0) < 0) throw_errno("chmod " + d.path);
    if (::fchownat(pdir.get(), base.c_str(), d.uid.value_or(0), d.gid.value_or(0), AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno("chown " + d.path);
}

// Inside a user namespace mknod is refused: bind the host's node onto an
// empty file instead (its owner and mode stay the host's).
void bind_node(int rootfd, const Device& d) {
    struct stat st;
    if (::stat(d.path.c_str(), &st) < 0)
        throw_errno("device " + d.path + ": not on the host, and a user namespace cannot mknod it");
    UniqueFd target = make_in_root(rootfd, d.path, false);
    std::string t = sys::fd_path(target.get());
    if (::mount(d.path.c_str(), t.c_str(), nullptr, MS_BIND, nullptr) < 0) throw_errno("bind device " + d.path);
}

void symlink_in_dev(int devfd, const char* target, const char* name) {
    if (::symlinkat(target, devfd, name) < 0 && errno != EEXIST) throw_errno(std::string("symlink /dev/") + name);
}

}  // namespace

void create_devices(int rootfd, const Spec& spec, bool userns, bool defaults) {
    auto make = [&](const Device& d) {
        if (userns && d.type != 'p') bind_node(rootfd, d);
        else make_node(rootfd, d);
    };
    if (defaults) {
        for (auto& d : default_devices()) {
            bool overridden = false;
            for (auto& s : spec.linux.devices) overridden = overridden || s.path == d.path;
            if (!overridden) make(d);
        }
        UniqueFd dev = make_in_root(rootfd, "/dev", true);
        UniqueFd devdir(::openat(dev.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!devdir) throw_errno("open /dev");
        symlink_in_dev(devdir.get(), "/proc/self/fd", "fd");
        symlink_in_dev(devdir.get(), "/proc/self/fd/0", "stdin");
        symlink_in_dev(devdir.get(), "/proc/self/fd/1", "stdout");
        symlink_in_dev(devdir.get(), "/proc/self/fd/2", "stderr");
        // The pty multiplexer of the container's own devpts instance.
        symlink_in_dev(devdir.get(), "pts/ptmx", "ptmx");
    }
    for (auto& d : spec.linux.devices) make(d);
}

}  // namespace skiff::oci
