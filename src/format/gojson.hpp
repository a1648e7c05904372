// JSON text as Go's encoding/json writes it. nlohmann's dump differs in
// small ways users see: Go escapes <, > and & (unless told not to), U+2028
// and U+2029, replaces invalid UTF-8, and prints floats its own way.
#pragma once

#include <string>
#include <string_view>

#include "util/json.hpp"

namespace skiff::format {

struct GoJsonStyle {
    // json.Marshal's default; Docker's `json` template function turns it off.
    bool escape_html = true;
    // Empty: compact. Otherwise MarshalIndent's indent string.
    std::string_view indent;
};

std::string go_json(const Json& value, const GoJsonStyle& style = {});
void append_go_json(std::string& out, const Json& value, const GoJsonStyle& style = {});
void append_go_json_string(std::string& out, std::string_view s, bool escape_html);

}  // namespace skiff::format
