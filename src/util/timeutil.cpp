#include "util/timeutil.hpp"

#include <time.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::timeutil {

int64_t now_ns() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string rfc3339_nano(int64_t ns) {
    time_t secs = static_cast<time_t>(ns / 1000000000LL);
    long frac = static_cast<long>(ns % 1000000000LL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

namespace {

int64_t parse_go_duration(std::string_view s) {
    // Go's time.ParseDuration units.
    int64_t total = 0;
    size_t i = 0;
    if (s.empty()) throw Error("invalid duration: empty");
    while (i < s.size()) {
        size_t start = i;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
        if (start == i) throw Error("invalid duration '" + std::string(s) + "'");
        double v = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
        size_t ustart = i;
        while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
        std::string_view unit = s.substr(ustart, i - ustart);
        double mult;
        if (unit == "ns") mult = 1;
        else if (unit == "us" || unit == "µs") mult = 1e3;
        else if (unit == "ms") mult = 1e6;
        else if (unit == "s") mult = 1e9;
        else if (unit == "m") mult = 60e9;
        else if (unit == "h") mult = 3600e9;
        else throw Error("invalid duration '" + std::string(s) + "': unknown unit '" + std::string(unit) + "'");
        total += static_cast<int64_t>(v * mult);
    }
    return total;
}

}  // namespace

int64_t parse_time(std::string_view s, int64_t now) {
    std::string t = str::trim(s);
    if (t.empty()) throw Error("invalid time: empty");
    bool all_num = true;
    for (char c : t)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') all_num = false;
    if (all_num) {
        double secs = std::strtod(t.c_str(), nullptr);
        return static_cast<int64_t>(secs * 1e9);
    }
    if (t.size() >= 10 && t[4] == '-' && t[7] == '-') {
        struct tm tm {};
        int consumed = 0;
        if (t.size() == 10) {
            if (sscanf(t.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) != 3)
                throw Error("invalid time '" + t + "'");
        } else if (sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                          &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
            throw Error("invalid time '" + t + "'");
        }
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        int64_t secs = static_cast<int64_t>(timegm(&tm));
        int64_t frac = 0;
        std::string_view rest = std::string_view(t).substr(static_cast<size_t>(consumed));
        if (!rest.empty() && rest[0] == '.') {
            size_t i = 1;
            int64_t scale = 100000000;
            while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) {
                frac += (rest[i] - '0') * scale;
                scale /= 10;
                ++i;
            }
            rest.remove_prefix(i);
        }
        if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
            int hh = 0, mm = 0;
            if (sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &hh, &mm) < 1)
                throw Error("invalid time '" + t + "'");
            int64_t off = (hh * 3600 + mm * 60) * (rest[0] == '+' ? 1 : -1);
            secs -= off;
        } else if (!rest.empty() && rest != "Z") {
            throw Error("invalid time '" + t + "'");
        }
        return secs * 1000000000LL + frac;
    }
    return now - parse_go_duration(t);
}

std::string ago(int64_t ns, int64_t now) {
    return str::human_duration((now - ns) / 1000000000LL) + " ago";
}

}  // namespace skiff::timeutil
