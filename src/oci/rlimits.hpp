// process.rlimits, applied before the process gives up CAP_SYS_RESOURCE
// (raising a hard limit needs it).
#pragma once

#include <vector>

#include "oci/spec.hpp"

namespace skiff::oci {

void apply_rlimits(const std::vector<Rlimit>& rlimits);

}  // namespace skiff::oci
