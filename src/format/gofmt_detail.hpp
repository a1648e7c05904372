// Pieces of Go's fmt shared by the %v printer and printf.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/json.hpp"

namespace skiff::format::gofmt::detail {

inline constexpr char kLowerHex[] = "0123456789abcdef";
inline constexpr char kUpperHex[] = "0123456789ABCDEF";

inline bool is_nil(const Json* j) { return j == nullptr || j->is_null(); }

// Go prints maps with their keys sorted (since Go 1.12), which keeps
// template output stable.
std::vector<std::pair<const std::string*, const Json*>> sorted_members(const Json& object);

// Approximates unicode.IsPrint: what strconv.Quote leaves unescaped.
bool printable(char32_t r);

void append_hex(std::string& out, uint32_t value, int digits);
// strconv.QuoteRune.
std::string quote_rune(char32_t r);
// strconv.CanBackquote.
bool can_backquote(std::string_view s);

}  // namespace skiff::format::gofmt::detail
