// UTF-8 helpers for the formatting code: Go's fmt, tabwriter and
// encoding/json all reason in runes, so we must too to match their output.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace skiff::format::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

// Decodes the rune at s[i] and advances i. An invalid or truncated sequence
// yields kReplacement and advances by one byte, as Go's DecodeRuneInString.
// `valid` (when given) tells the two cases of kReplacement apart.
char32_t decode(std::string_view s, size_t& i, bool* valid = nullptr);

void append(std::string& out, char32_t r);

// Number of runes; each invalid byte counts as one, as utf8.RuneCount.
size_t rune_count(std::string_view s);

// Byte length of the first `n` runes of s (all of s when it is shorter).
size_t prefix_bytes(std::string_view s, size_t n);

}  // namespace skiff::format::utf8
