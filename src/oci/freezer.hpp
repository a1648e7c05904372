// Freezing a container's processes (pause/unpause) through its cgroups:
// the v1 freezer controller (freezer.state) or v2's cgroup.freeze.
#pragma once

#include <string>
#include <vector>

namespace skiff::oci {

// The directory of `cgroup_dirs` that can freeze (v1 freezer or v2), or ""
// when the container has none (rootless without a delegated cgroup v2).
std::string freezer_dir(const std::vector<std::string>& cgroup_dirs);

// Freezes or thaws every process in `dir` and waits until the kernel says
// it is done. A freeze that does not settle is undone and reported.
void set_frozen(const std::string& dir, bool frozen);

// Whether `dir` is frozen now.
bool is_frozen(const std::string& dir);

// The same for a container of the runtime state root `root`: false when
// the container has no freezer cgroup (nothing was done).
bool freeze_container(const std::string& root, const std::string& id, bool frozen);

}  // namespace skiff::oci
