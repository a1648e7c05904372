// `stats`: reading a container's resource use. Where the container has
// cgroups (root; rootless on a delegated cgroup v2) the numbers come from
// them; otherwise (rootless on cgroup v1) from /proc of the processes in
// the container's PID namespace.
#pragma once

#include <string>

#include "container/record.hpp"
#include "container/stats_calc.hpp"
#include "engine/engine.hpp"

namespace skiff::engine {

// A reading now; a container that is not running gives running=false.
// `source` (optional) is set to "cgroup" or "proc".
container::StatsSample sample_stats(Engine& e, const container::Container& c, std::string* source = nullptr);

}  // namespace skiff::engine
