// --ipc, --pid, --uts container:X: a container joining the namespaces of
// another, running one. Rootless, every monitor has a user namespace of its
// own, and a namespace can only be joined from the user namespace that owns
// it: the joining container's monitor is started in the other container's
// user namespace instead of a new one.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include "container/record.hpp"
#include "container/spec.hpp"
#include "engine/engine.hpp"

namespace skiff::engine {

// At create: "container:NAME" becomes "container:FULLID"; a missing
// container is an error.
void resolve_shared_namespaces(Engine& e, container::ContainerSpec& spec);

// rm: a container whose namespaces others join goes last (Podman's rule).
void check_no_dependents(Engine& e, const container::Container& c);

// At start: the pids whose namespaces the container joins, by type (ipc,
// pid, uts). A container to join that is not running is an error.
std::map<std::string, int> namespace_join_pids(Engine& e, const container::Container& c);

// The monitor's process: in a new user namespace (fork_into_userns), or,
// rootless with namespaces to join, in the user namespace of `join`'s
// first container, or on user-defined networks in the network daemon's
// (`netd_pid` > 0; its bridges can only be reached from there). Returns
// the child's pid.
pid_t fork_monitor_process(const std::map<std::string, int>& join, int netd_pid, const std::function<int()>& body);

}  // namespace skiff::engine
