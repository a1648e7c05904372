// Device nodes in the container's /dev: the default set every container
// gets (null zero full random urandom tty and the symlinks), plus
// linux.devices. Created with mknod where the runtime may, bind-mounted
// from the host's nodes inside a user namespace, where mknod is refused.
#pragma once

#include "oci/spec.hpp"

namespace skiff::oci {

// rootfd: the container's root (before pivot_root). `defaults`: add the
// default set and symlinks (not when /dev is a bind of the host's).
void create_devices(int rootfd, const Spec& spec, bool userns, bool defaults);

}  // namespace skiff::oci
