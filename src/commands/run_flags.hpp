// The flags of `run` and `create`, and turning them into a ContainerSpec.
#pragma once

#include <vector>

#include "cli/command.hpp"
#include "container/spec.hpp"

namespace skiff::commands {

const std::vector<cli::Flag>& create_flags();
// Also `run`'s own: -d, --rm is shared, --sig-proxy, --detach-keys, -a.
const std::vector<cli::Flag>& run_only_flags();

// Validates and converts; unsupported values are errors, never ignored.
container::ContainerSpec spec_from_args(const cli::Args& args);

}  // namespace skiff::commands
