// Linux namespaces of a container: which to create, which to join, and the
// user namespace's id maps (written directly when the kernel allows it,
// through newuidmap/newgidmap otherwise).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "oci/spec.hpp"

namespace skiff::oci {

// True inside a user namespace other than the initial one (e.g. podman's
// rootless namespace): there root is not root, cgroups are not ours and
// mknod is refused.
bool in_nested_userns();
// Not real root: an unprivileged user or root of a nested user namespace.
bool running_rootless();

// CLONE_NEW* flags of the namespaces to create in one clone3. The cgroup
// namespace is left out: the child creates it once it sits in its cgroup,
// so that the namespace's root is the container's cgroup.
uint64_t clone_flags(const Linux& l);

// True when one clone3 cannot do it all: a namespace is joined by path
// (setns must come before the new user namespace) or time offsets must be
// written before any process enters the new time namespace.
bool needs_two_stages(const Linux& l);

// Runtime side: writes the child's uid_map and gid_map. A single mapping
// of the caller's own id (or any mapping, as root) is written directly;
// anything else goes through newuidmap/newgidmap from shadow's uidmap,
// which check /etc/subuid and /etc/subgid.
void write_id_maps(pid_t pid, const Linux& l);

// True when /proc/<pid>/setgroups will say "deny" after write_id_maps
// (then setgroups() is impossible in the container).
bool setgroups_denied(const Linux& l);

// Child side of the two-stage path: joins every namespace given by path
// (the user namespace where needed first), then unshares the new ones
// except user (done by the caller before, with its own map handshake),
// pid and time (they apply to the next child) and cgroup.
void join_namespaces(const Linux& l);

// Writes linux.timeOffsets to /proc/self/timens_offsets (after
// unshare(CLONE_NEWTIME), before the first child).
void write_time_offsets(const Linux& l);

}  // namespace skiff::oci
