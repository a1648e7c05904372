// Re-executing skiff inside the rootless user namespace (implemented by
// src/layers/userns).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace skiff::engine {

// Runs /proc/self/exe with `argv` in a new user + mount namespace where the
// caller is root, mapped over the user's whole subordinate ranges with
// newuidmap/newgidmap (Podman's layout: 0 → the user, 1… → the range).
// Without a range: a single-ID mapping and a warning. Returns the child's
// exit status. The child dies with the caller (PR_SET_PDEATHSIG).
int reexec_in_userns(const std::vector<std::string>& argv);

// Forks a child that runs `body` (and then _exit()s with its result) as
// root of a new user namespace (rootless) with a new mount namespace, or, as
// real root, only in a new mount namespace. The caller gets the child's pid
// once the mapping is in place. `die_with_parent` ties the child's life to
// the caller's. The child's mounts never propagate back (its / is made
// rslave) and it sees kInUsernsEnv=1.
pid_t fork_into_userns(const std::function<int()>& body, bool die_with_parent);

// The environment marker the re-executed child sees.
inline constexpr const char* kInUsernsEnv = "_SKIFF_IN_USERNS";

}  // namespace skiff::engine
