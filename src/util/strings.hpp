#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::str {

std::vector<std::string> split(std::string_view s, char sep);
// Splits on the first `sep`; second is empty (and found=false) when absent.
std::pair<std::string, std::string> split_once(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view s);
std::string lower(std::string_view s);
std::string upper(std::string_view s);
bool is_hex(std::string_view s);

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

// Docker's units.HumanSize: decimal units, four significant digits ("1.2kB", "45.6MB").
std::string human_size(double bytes);
// Docker's units.BytesSize: binary units ("1.5GiB").
std::string bytes_size(double bytes);
// Parses "512m", "1g", "100k", "1024" (binary multipliers as Docker's RAMInBytes).
int64_t parse_ram_bytes(std::string_view s);
// Docker's units.HumanDuration: "Less than a second", "5 minutes", "2 hours"…
std::string human_duration(int64_t seconds);

}  // namespace skiff::str
