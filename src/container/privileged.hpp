// --privileged beyond capabilities, seccomp and masked paths (bundle.cpp):
// the host's devices and a writable /sys, as Docker and Podman give.
#pragma once

#include <cstdint>

#include "util/json.hpp"

namespace skiff::container {

// `userns`: rootless, where device nodes cannot be made and the host's
// are bound in instead.
void apply_privileged(Json& cfg, bool userns);

// This process's capability bounding set (CapBnd), as a bit mask: what a
// container may be given at most (--privileged, --cap-add ALL), as Podman
// bounds them. All bits when it cannot be read.
uint64_t bounding_set();

}  // namespace skiff::container
