#include "engine/rootfs_access.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "engine/container_storage.hpp"
#include "engine/containers.hpp"
#include "engine/volumes.hpp"
#include "layers/userns.hpp"
#include "oci/mounts.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/process.hpp"

namespace skiff::engine {

namespace {

// Joins namespace `kind` ("user", "mnt") of `pid` unless this process is
// in it already (root's monitors share the host's user namespace).
void join_namespace(pid_t pid, const char* kind, int nstype) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + kind;
    UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target) throw_errno(std::string("open the container's ") + kind + " namespace (" + path + ")");
    UniqueFd self(::open((std::string("/proc/self/ns/") + kind).c_str(), O_RDONLY | O_CLOEXEC));
    struct stat a, b;
    if (self && ::fstat(target.get(), &a) == 0 && ::fstat(self.get(), &b) == 0 && a.st_ino == b.st_ino &&
        a.st_dev == b.st_dev)
        return;
    if (::setns(target.get(), nstype) < 0) throw_errno(std::string("join the container's ") + kind + " namespace");
}

int finish_child(const std::function<int()>& body) {
    int rc;
    try {
        rc = body();
    } catch (const Error& err) {
        std::fprintf(stderr, "Error: %s\n", err.what());
        rc = err.exit_code();
    } catch (const std::exception& err) {
        std::fprintf(stderr, "Error: %s\n", err.what());
        rc = kExitEngine;
    }
    std::cout.flush();
    std::fflush(nullptr);
    return rc;
}

int in_running(Engine& e, const container::Container& c,
               const std::function<int(const std::string&)>& fn) {
    const std::string rootfs = container::container_paths(e.paths(), c.id).rootfs();
    const pid_t monitor = c.monitor_pid;
    e.release_db();
    std::cout.flush();
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        int rc = finish_child([&]() -> int {
            // The user namespace first: it grants the right to join the
            // mount namespace it owns.
            join_namespace(monitor, "user", CLONE_NEWUSER);
            if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
                throw_errno("become root in the user namespace");
            join_namespace(monitor, "mnt", CLONE_NEWNS);
            if (::chdir("/") < 0) throw_errno("chdir /");
            return fn(rootfs);
        });
        ::_exit(rc);
    }
    Child child(pid);
    return layers::wait_foreground(child);
}

size_t depth(const std::string& path) {
    return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

// Binds `source` (a volume's data or a host path) onto `destination`
// resolved inside the rootfs: symlinks there cannot lead out of it.
void bind_into(int rootfd, const container::MountSpec& m) {
    const std::string what = "mount " + m.destination + " for cp";
    struct stat st;
    if (::stat(m.source.c_str(), &st) < 0) throw_errno(what + ": source " + m.source);
    UniqueFd target = oci::make_in_root(rootfd, m.destination, S_ISDIR(st.st_mode));
    UniqueFd tree(::open_tree(AT_FDCWD, m.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree) throw_errno(what + ": open_tree " + m.source);
    if (std::find(m.options.begin(), m.options.end(), "ro") != m.options.end()) {
        struct mount_attr a {};
        a.attr_set = MOUNT_ATTR_RDONLY;
        if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
            throw_errno(what + ": make read-only");
    }
    if (::move_mount(tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno(what + ": move_mount");
}

// In the stopped view's private mount namespace: the volumes as their
// monitor prepares them, then every bind and volume mount, parents before
// the mounts inside them. tmpfs mounts hold nothing while stopped.
void mount_view(const std::string& rootfs, const ViewMounts& view) {
    container::ContainerSpec spec;
    spec.mounts = view.mounts;
    container::prepare_volumes(view.volumes, spec, rootfs, view.rootless);
    std::stable_sort(spec.mounts.begin(), spec.mounts.end(),
                     [](auto& a, auto& b) { return depth(a.destination) < depth(b.destination); });
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open " + rootfs);
    for (auto& m : spec.mounts)
        if (m.type == "bind" || m.type == "volume") bind_into(root.get(), m);
}

int in_stopped(Engine& e, const container::Container& c, const std::function<int(const std::string&)>& fn,
               const ViewMounts* view) {
    const layers::DriverKind kind = e.driver().kind();
    const std::vector<std::string> lowers = container_layer_dirs(e, c);
    const std::string cdir = container::container_paths(e.paths(), c.id).userdata;
    const state::Paths& paths = e.paths();
    e.release_db();
    std::cout.flush();
    return layers::run_in_userns([&]() -> int {
        return finish_child([&]() -> int {
            auto driver = layers::make_driver(kind, rootfs_driver_options(paths, kind));
            std::string rootfs = driver->mount_rootfs(lowers, cdir);
            int rc;
            try {
                if (view) mount_view(rootfs, *view);
                rc = fn(rootfs);
            } catch (...) {
                driver->unmount(cdir);
                throw;
            }
            // The mount namespace dies with this process anyway; a FUSE
            // daemon is told to go now.
            driver->unmount(cdir);
            return rc;
        });
    });
}

}  // namespace

ViewMounts container_view_mounts(Engine& e, const container::Container& c) {
    ViewMounts v;
    v.volumes = container_volumes(e, c);
    v.mounts = c.spec.mounts;
    v.rootless = ::geteuid() != 0;
    return v;
}

int with_container_rootfs(Engine& e, const container::Container& c0,
                          const std::function<int(const std::string& rootfs)>& fn, const ViewMounts* view) {
    container::Container c = refresh(e, c0);
    if (c.running() && c.monitor_pid > 0) return in_running(e, c, fn);
    return in_stopped(e, c, fn, view);
}

}  // namespace skiff::engine
