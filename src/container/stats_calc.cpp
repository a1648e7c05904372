#include "container/stats_calc.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "util/strings.hpp"

namespace skiff::container {

namespace {

uint64_t to_u64(std::string_view s) {
    std::string t(s);
    return std::strtoull(t.c_str(), nullptr, 10);
}

template <typename Fn>
void each_line(std::string_view text, Fn fn) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        fn(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

}  // namespace

double cpu_percent(const StatsSample& prev, const StatsSample& cur) {
    if (cur.at_ns <= prev.at_ns || cur.cpu_ns < prev.cpu_ns) return 0.0;
    return static_cast<double>(cur.cpu_ns - prev.cpu_ns) * 100.0 / static_cast<double>(cur.at_ns - prev.at_ns);
}

double mem_percent(uint64_t usage, uint64_t limit) {
    return limit == 0 ? 0.0 : static_cast<double>(usage) * 100.0 / static_cast<double>(limit);
}

std::string percent_text(double pct) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f%%", pct);
    return buf;
}

std::string decimal_size3(double bytes) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    int i = 0;
    while (bytes >= 1000.0 && i < 8) {
        bytes /= 1000.0;
        ++i;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g%s", bytes, units[i]);
    return buf;
}

std::string mem_usage_text(uint64_t usage, uint64_t limit) {
    return str::bytes_size(static_cast<double>(usage)) + " / " + str::bytes_size(static_cast<double>(limit));
}

std::string io_pair_text(uint64_t a, uint64_t b) {
    return decimal_size3(static_cast<double>(a)) + " / " + decimal_size3(static_cast<double>(b));
}

Json stats_row(const std::string& given, const std::string& id, const std::string& name, const StatsSample& prev,
               const StatsSample& cur, bool no_trunc) {
    std::string shown_id = no_trunc ? id : id.substr(0, 12);
    bool on = cur.running;
    return {
        {"Container", given.empty() ? shown_id : given},
        {"Name", name},
        {"ID", shown_id},
        {"CPUPerc", on ? percent_text(cpu_percent(prev, cur)) : "--"},
        {"MemUsage", on ? mem_usage_text(cur.mem, cur.mem_limit) : "-- / --"},
        {"MemPerc", on ? percent_text(mem_percent(cur.mem, cur.mem_limit)) : "--"},
        {"NetIO", on ? io_pair_text(cur.net_rx, cur.net_tx) : "--"},
        {"BlockIO", on ? io_pair_text(cur.blk_read, cur.blk_write) : "--"},
        {"PIDs", on ? std::to_string(cur.pids) : "--"},
    };
}

void parse_net_dev(std::string_view text, uint64_t& rx, uint64_t& tx) {
    rx = tx = 0;
    each_line(text, [&](std::string_view line) {
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return;  // the two header lines
        std::string iface = str::trim(line.substr(0, colon));
        if (iface == "lo") return;
        auto w = words(line.substr(colon + 1));
        if (w.size() < 9) return;
        rx += to_u64(w[0]);
        tx += to_u64(w[8]);
    });
}

uint64_t parse_proc_stat_ticks(std::string_view text) {
    // The command name may hold spaces and parentheses: count from the last ')'.
    auto close = text.rfind(')');
    if (close == std::string_view::npos) return 0;
    auto w = words(text.substr(close + 1));
    // w[0] is field 3 (state); utime and stime are fields 14 and 15.
    if (w.size() < 13) return 0;
    return to_u64(w[11]) + to_u64(w[12]);
}

uint64_t parse_status_rss(std::string_view text) {
    uint64_t kb = 0;
    each_line(text, [&](std::string_view line) {
        if (line.rfind("VmRSS:", 0) == 0) {
            auto w = words(line.substr(6));
            if (!w.empty()) kb = to_u64(w[0]);
        }
    });
    return kb * 1024;
}

uint64_t parse_keyed(std::string_view text, std::string_view key) {
    uint64_t out = 0;
    each_line(text, [&](std::string_view line) {
        auto w = words(line);
        if (w.size() < 2) return;
        std::string k = w[0];
        if (!k.empty() && k.back() == ':') k.pop_back();
        if (k == key) out = to_u64(w[1]);
    });
    return out;
}

void parse_blkio_v1(std::string_view text, uint64_t& read, uint64_t& write) {
    read = write = 0;
    each_line(text, [&](std::string_view line) {
        auto w = words(line);
        if (w.size() != 3) return;  // "Total N" has two words
        if (w[1] == "Read") read += to_u64(w[2]);
        else if (w[1] == "Write") write += to_u64(w[2]);
    });
}

void parse_io_stat_v2(std::string_view text, uint64_t& read, uint64_t& write) {
    read = write = 0;
    each_line(text, [&](std::string_view line) {
        for (auto& w : words(line)) {
            if (w.rfind("rbytes=", 0) == 0) read += to_u64(std::string_view(w).substr(7));
            else if (w.rfind("wbytes=", 0) == 0) write += to_u64(std::string_view(w).substr(7));
        }
    });
}

}  // namespace skiff::container
