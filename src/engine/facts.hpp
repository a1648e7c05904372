// What `version`, `info` and shell completion report: facts gathered from
// the host, the configuration and the store.
#pragma once

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "util/json.hpp"

namespace skiff::engine {

// Cheap: no file of the store is opened (`skiff version` must start fast).
Json version_facts(Context& ctx);
// Docker's top-level keys plus Podman's Host/Store objects.
Json info_facts(Context& ctx);
std::string info_text(const Json& info);
std::vector<std::string> completion_names(Context& ctx, const std::string& kind);

}  // namespace skiff::engine
