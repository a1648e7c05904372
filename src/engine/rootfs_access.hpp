// Access to a container's merged root filesystem for commands that need
// its files (cp, export, commit --squash), without a daemon and without
// leaving a mount behind.
#pragma once

#include <functional>
#include <string>

#include "container/record.hpp"
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
int with_container_rootfs(Engine& e, const container::Container& c,
                          const std::function<int(const std::string& rootfs)>& fn);

}  // namespace skiff::engine
