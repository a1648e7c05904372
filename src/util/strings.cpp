#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "util/error.hpp"

namespace skiff::str {

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        if (pos == std::string_view::npos) {
            out.emplace_back(s.substr(start));
            return out;
        }
        out.emplace_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

std::pair<std::string, std::string> split_once(std::string_view s, char sep) {
    auto pos = s.find(sep);
    if (pos == std::string_view::npos) return {std::string(s), {}};
    return {std::string(s.substr(0, pos)), std::string(s.substr(pos + 1))};
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool is_hex(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

namespace {

std::string scaled(double value, double base, const char* const* units, size_t n) {
    size_t i = 0;
    while (value >= base && i + 1 < n) {
        value /= base;
        ++i;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.4g%s", value, units[i]);
    return buf;
}

}  // namespace

std::string human_size(double bytes) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    return scaled(bytes, 1000.0, units, 7);
}

std::string bytes_size(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    return scaled(bytes, 1024.0, units, 7);
}

int64_t parse_ram_bytes(std::string_view s) {
    // Docker's RAMInBytes: ^(\d+(\.\d+)?) ?([kmgtp])?i?b?$, case-insensitive.
    std::string t = lower(trim(s));
    auto refuse = [&](const char* why) -> int64_t {
        throw Error("invalid size: '" + std::string(s.substr(0, 64)) + (s.size() > 64 ? "…" : "") + "'" + why);
    };
    if (t.empty()) throw Error("invalid size: empty string");
    size_t i = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == 0) return refuse("");
    if (i < t.size() && t[i] == '.') {
        size_t frac = ++i;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
        if (i == frac) return refuse("");
    }
    double num = std::strtod(t.substr(0, i).c_str(), nullptr);
    std::string unit = t.substr(i);
    if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (!unit.empty() && unit.back() == 'i' && unit.size() <= 2) unit.pop_back();
    static const std::string units = "kmgtp";
    double mult = 1;
    if (unit.size() > 1 || (unit.size() == 1 && units.find(unit[0]) == std::string::npos)) return refuse("");
    if (unit.size() == 1) mult = std::pow(1024.0, static_cast<double>(units.find(unit[0]) + 1));
    double bytes = num * mult;
    // 2^63 itself does not fit: a limit that wraps negative is no limit.
    if (!std::isfinite(bytes) || bytes >= 9223372036854775808.0) return refuse(": too large");
    return static_cast<int64_t>(bytes);
}

std::string human_duration(int64_t seconds) {
    if (seconds < 1) return "Less than a second";
    if (seconds == 1) return "1 second";
    if (seconds < 60) return std::to_string(seconds) + " seconds";
    int64_t minutes = seconds / 60;
    if (minutes == 1) return "About a minute";
    if (minutes < 60) return std::to_string(minutes) + " minutes";
    int64_t hours = static_cast<int64_t>(std::llround(seconds / 3600.0));
    if (hours == 1) return "About an hour";
    if (hours < 48) return std::to_string(hours) + " hours";
    if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
    if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
    if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
    return std::to_string(hours / 24 / 365) + " years";
}

}  // namespace skiff::str
