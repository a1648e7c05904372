#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace skiff::timeutil {

// Nanoseconds since the epoch (CLOCK_REALTIME).
int64_t now_ns();
// RFC 3339 with nanoseconds in UTC, as Docker prints: 2024-01-02T03:04:05.123456789Z
std::string rfc3339_nano(int64_t ns);
// Parses RFC 3339 (with optional fraction and offset), a Unix timestamp
// ("1700000000[.5]") or a Go duration relative to now ("10m", "1h30m").
int64_t parse_time(std::string_view s, int64_t now_ns);
// "2 hours ago"
std::string ago(int64_t ns, int64_t now_ns);

}  // namespace skiff::timeutil
