// `stats`: the numbers and their text, as Docker prints them. Pure: the
// readers hand in the contents of cgroup and /proc files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/json.hpp"

namespace skiff::container {

// One reading of a container's resource use.
struct StatsSample {
    int64_t at_ns = 0;      // when it was taken (CLOCK_REALTIME ns)
    uint64_t cpu_ns = 0;    // CPU time used so far, all processes
    uint64_t mem = 0, mem_limit = 0;
    uint64_t net_rx = 0, net_tx = 0;
    uint64_t blk_read = 0, blk_write = 0;
    uint64_t pids = 0;
    bool running = false;
};

// CPU time over wall time between two readings, in percent (100 = one CPU).
double cpu_percent(const StatsSample& prev, const StatsSample& cur);
double mem_percent(uint64_t usage, uint64_t limit);
// "12.34%"
std::string percent_text(double pct);
// Docker's units.HumanSizeWithPrecision(n, 3): "0B", "1.23kB", "45.6MB".
std::string decimal_size3(double bytes);
// "1.5MiB / 23.44GiB"
std::string mem_usage_text(uint64_t usage, uint64_t limit);
// "1.23kB / 0B"
std::string io_pair_text(uint64_t a, uint64_t b);

// Docker's row: Container (as the user named it), Name, ID, CPUPerc,
// MemUsage, MemPerc, NetIO, BlockIO, PIDs.
Json stats_row(const std::string& given, const std::string& id, const std::string& name, const StatsSample& prev,
               const StatsSample& cur, bool no_trunc);

// /proc/PID/net/dev: received and sent bytes over every interface but lo.
void parse_net_dev(std::string_view text, uint64_t& rx, uint64_t& tx);
// /proc/PID/stat: utime + stime, in clock ticks.
uint64_t parse_proc_stat_ticks(std::string_view text);
// /proc/PID/status: VmRSS in bytes.
uint64_t parse_status_rss(std::string_view text);
// "key value" lines (/proc/PID/io, memory.stat, cpu.stat): the value of key, or 0.
uint64_t parse_keyed(std::string_view text, std::string_view key);
// v1 blkio.throttle.io_service_bytes ("8:0 Read 4096"): Read and Write totals.
void parse_blkio_v1(std::string_view text, uint64_t& read, uint64_t& write);
// v2 io.stat ("8:0 rbytes=4096 wbytes=0 …"): rbytes and wbytes totals.
void parse_io_stat_v2(std::string_view text, uint64_t& read, uint64_t& write);

}  // namespace skiff::container
