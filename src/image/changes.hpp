// `--change` / `-c`: one Dockerfile instruction applied to an image config
// (import, commit). The build issue will share the instruction parser.
#pragma once

#include <string>
#include <vector>

#include "util/json.hpp"

namespace skiff::image {

// Instructions allowed: CMD ENTRYPOINT ENV EXPOSE LABEL USER WORKDIR VOLUME
// STOPSIGNAL ONBUILD. `config` is the image config's "config" object.
void apply_change(Json& config, const std::string& instruction);

// "[\"a\", \"b\"]" (JSON form) or shell form → argv as Docker builds it.
std::vector<std::string> parse_command(const std::string& text, bool& json_form);

}  // namespace skiff::image
