// The container's filesystem: its root, the config's mounts, pivot_root,
// masked and read-only paths. Runs in the container's mount namespace.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "oci/spec.hpp"
#include "util/fd.hpp"

namespace skiff::oci {

// What a mount's options mean to the kernel.
struct MountOptions {
    unsigned long flags = 0;          // MS_* for mount(2)
    uint64_t attr_set = 0;            // MOUNT_ATTR_* to set on the mount itself
    uint64_t attr_clr = 0;            // ... and to clear
    uint64_t rattr_set = 0;           // MOUNT_ATTR_* for the whole subtree (rro, rnosuid …)
    uint64_t rattr_clr = 0;
    unsigned long propagation = 0;    // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC)
    bool bind = false;
    bool recursive = false;           // rbind
    bool tmpcopyup = false;
    std::string data;                 // filesystem options ("mode=755,size=65536k")
};

// Throws for options this runtime cannot honour (idmap).
MountOptions parse_mount_options(const std::vector<std::string>& options);
// "rprivate" -> MS_PRIVATE|MS_REC; 0 for "".
unsigned long propagation_flags(const std::string& name);

struct RootfsContext {
    const Spec* spec = nullptr;
    std::string rootfs;  // absolute path on the host
    std::string bundle;  // absolute: relative bind sources are below it
    bool userns = false;     // in a new user namespace: no mknod, no sysfs without netns
    bool own_netns = false;  // owns its network namespace (sysfs may be mounted)
    bool own_cgroupns = false;
    // The container's own cgroup directories on the host (one per
    // hierarchy it joined): all of the cgroup tree it may see.
    std::vector<std::string> cgroup_dirs;
    // Called before a cgroup filesystem is mounted: the process must be
    // in its cgroup and cgroup namespace by then.
    std::function<void()> before_cgroup_mount;
};

// Resolves `path` below `rootfd` as if rootfd were "/" (symlinks cannot
// leave it), creating missing parents, and the last component as a
// directory (dir) or an empty file. Returns an O_PATH fd.
UniqueFd make_in_root(int rootfd, const std::string& path, bool dir);

// Before pivot_root: propagation of "/", the rootfs bind, every mount of
// the config in order and the devices in /dev. Returns an fd of the root.
UniqueFd prepare_rootfs(const RootfsContext& ctx);

// Makes the prepared rootfs the process's "/": pivot_root, or with
// no_pivot (or on an initramfs, where pivot_root is impossible) a move
// of the rootfs onto "/" and chroot.
void enter_rootfs(int rootfd, const std::string& rootfs, bool no_pivot);

// After pivot_root: the root's propagation, read-only paths, masked
// paths and finally the read-only root.
void finish_rootfs(const Spec& spec);

}  // namespace skiff::oci
