// Docker's and Podman's default seccomp profile (moby profiles/seccomp/
// default.json) as data, and its resolution for a capability set and the
// host architecture into the runtime-spec `linux.seccomp` object.
#pragma once

#include <string>
#include <vector>

#include "util/json.hpp"

namespace skiff::oci {

// `caps`: the container's bounding set ("CAP_SYS_ADMIN" …). Rules moby
// guards by capability or architecture are kept only where they apply, as
// Docker and Podman do when they generate a container's config.
Json default_seccomp(const std::vector<std::string>& caps);

}  // namespace skiff::oci
