// Control groups for a container: v1, v2 and the hybrid of both (each
// controller is used where the host has it). Root may always create
// cgroups; a rootless runtime only where the hierarchy is delegated to it.
// Where limits are requested but cannot be set rootless, the runtime says
// so in a warning instead of pretending.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace skiff::oci {

using WarnFn = std::function<void(const std::string&)>;

struct CgroupSet {
    // Absolute cgroup directories the container's processes join (one per
    // hierarchy used), leaf first never matters: all get every process.
    std::vector<std::string> dirs;
    // Those of `dirs` this runtime created (and so removes); a cgroup that
    // existed before is joined but left alone.
    std::vector<std::string> created;
    bool empty() const { return dirs.empty(); }
};

// Creates the container's cgroups and applies linux.resources. Rootless
// without delegation: no cgroup (warning when limits were requested).
CgroupSet cgroup_create(const Spec& spec, const std::string& id, bool rootless, const WarnFn& warn);

// Moves `pid` into every directory of the set.
void cgroup_enter(const CgroupSet& set, pid_t pid);

// The processes in the container's cgroup.
std::vector<pid_t> cgroup_pids(const CgroupSet& set);

// Removes the directories it created (killing what is left in them and
// waiting briefly for exiting processes to leave).
// Errors go to `warn`: a leftover empty cgroup must not fail a delete.
void cgroup_destroy(const CgroupSet& set, const WarnFn& warn);

// A one-line description of what this host offers, for `features` and
// for the rootless warning: "v1 (memory cpu …) + v2 (hugetlb)".
std::string cgroup_summary();

}  // namespace skiff::oci
