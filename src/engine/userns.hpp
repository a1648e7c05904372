// Re-executing skiff inside the rootless user namespace.
#pragma once

#include <string>
#include <vector>

namespace skiff::engine {

// Runs /proc/self/exe with `argv` in a new user + mount namespace where the
// caller is root, mapped over the user's whole subordinate ranges with
// newuidmap/newgidmap (Podman's layout: 0 → the user, 1… → the range).
// Without a range: a single-ID mapping and a warning. Returns the child's
// exit status. The child dies with the caller (PR_SET_PDEATHSIG).
int reexec_in_userns(const std::vector<std::string>& argv);

// The environment marker the re-executed child sees.
inline constexpr const char* kInUsernsEnv = "_SKIFF_IN_USERNS";

}  // namespace skiff::engine
