// Number printing as Go's strconv/fmt/encoding/json do it, so numbers in
// templates and JSON output read exactly as Docker's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/json.hpp"

namespace skiff::format::gonum {

// Go's %v of a float64: shortest digits, exponent form below 1e-4 and from
// 1e+06 up ("1.5e+07").
std::string shortest_g(double d);
// Go's encoding/json form of a float64: plain decimal between 1e-6 and 1e21.
std::string json_float(double d);
// C-style fixed-precision %e/%f/%g (Go rounds these the same way).
std::string with_precision(double d, char verb, int precision);

// A JSON number holding an integral value (JSON numbers such as 5.0 count,
// as Docker's typed ints would); nullopt for fractions and non-numbers.
std::optional<int64_t> as_integer(const Json& j);
// Any JSON number as a double; nullopt for non-numbers.
std::optional<double> as_double(const Json& j);

// Go's %v of a JSON number: integral values print without a fraction.
std::string to_string(const Json& number);

}  // namespace skiff::format::gonum
