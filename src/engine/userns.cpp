// The engine's view of the rootless user namespace: thin wrappers over
// src/layers/userns, which owns the subordinate-ID mapping, the namespace
// child and the re-exec.
#include "engine/userns.hpp"

#include <string_view>

#include "layers/userns.hpp"

namespace skiff::engine {

static_assert(std::string_view(kInUsernsEnv) == std::string_view(layers::kInUsernsEnv));

pid_t fork_into_userns(const std::function<int()>& body, bool die_with_parent) {
    layers::SpawnOptions o;
    o.die_with_parent = die_with_parent;
    return layers::spawn_in_userns(body, layers::caller_mapping(), o).release();
}

int reexec_in_userns(const std::vector<std::string>& argv) { return layers::reexec_in_userns(argv); }

}  // namespace skiff::engine
