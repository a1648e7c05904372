// Capabilities of the container process, set with libcap. The bounding
// set is cut first (it needs CAP_SETPCAP), then the user is switched with
// keep-caps, then effective/permitted/inheritable and the ambient set.
#pragma once

#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace skiff::oci {

// Drops every capability not in `bounding` from the bounding set.
void drop_bounding(const Capabilities& caps);
// Sets effective, permitted and inheritable, then raises the ambient caps
// that are both permitted and inheritable (the kernel refuses the rest).
void apply_caps(const Capabilities& caps);
// Ambient capabilities the kernel will refuse (not permitted and
// inheritable): warned about by the runtime before the container starts.
std::vector<std::string> unraisable_ambient(const Capabilities& caps);

}  // namespace skiff::oci
