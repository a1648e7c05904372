// Go's fmt package over JSON values: the default %v printing that templates
// use for {{.Field}}, and Sprint/Sprintln/Sprintf behind print, println and
// printf. A null pointer argument (or a JSON null) is Go's nil.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace skiff::format::gofmt {

// %v: strings raw, integral numbers without a fraction, [a b], map[k:v]
// with sorted keys, nil as <nil>.
void append_value(std::string& out, const Json& value);

std::string sprint(const std::vector<const Json*>& args);
std::string sprintln(const std::vector<const Json*>& args);
std::string sprintf(std::string_view format, const std::vector<const Json*>& args);

// The Go type a value would have in Docker's data, for error messages.
std::string type_name(const Json* value);

// strconv.Quote (ascii_only: QuoteToASCII).
std::string quote(std::string_view s, bool ascii_only = false);

}  // namespace skiff::format::gofmt
