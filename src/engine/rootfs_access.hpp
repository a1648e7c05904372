// Access to a container's merged root filesystem for commands that need
// its files (cp, export, commit --squash), without a daemon and without
// leaving a mount behind.
#pragma once

#include <functional>
#include <string>

#include "container/record.hpp"
#include "container/volume_mount.hpp"
#include "engine/engine.hpp"

namespace skiff::engine {

// Runs fn(rootfs) in a child process that sees the container's merged
// rootfs at `rootfs`, as root of skiff's user namespace (rootless), so
// owners read and written are the ones the container sees:
//  - running: the child joins the monitor's user and mount namespaces,
//    where the rootfs is mounted;
//  - created or stopped: the child mounts it through the store's driver in
//    a private mount namespace, for the duration of fn only.
// Returns fn's result (an Error thrown by fn is printed as "Error: …" and
// gives its exit code). The database is released first (no fork with an
// open SQLite connection); fn may use the Engine, which reopens it.
// fn's paths are untrusted: walk them with fd-relative, no-follow
// lookups (layers/safe_path), never as strings handed to the kernel.
//
// With `view` (cp), a stopped container's rootfs also holds its volumes
// and bind mounts at their destinations, as a running one sees them
// (Docker's cp mounts them too): what cp reads or writes there is the
// volume's. A volume never started gets the image's content first, as
// its first start would have given it.
struct ViewMounts {
    std::vector<container::VolumeMount> volumes;
    std::vector<container::MountSpec> mounts;  // the spec's: bind and volume ones are mounted
    bool rootless = false;
};
ViewMounts container_view_mounts(Engine& e, const container::Container& c);

int with_container_rootfs(Engine& e, const container::Container& c,
                          const std::function<int(const std::string& rootfs)>& fn, const ViewMounts* view = nullptr);

}  // namespace skiff::engine
