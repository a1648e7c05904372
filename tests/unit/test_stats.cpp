#include <catch2/catch.hpp>

#include "container/stats_calc.hpp"

using namespace skiff::container;

TEST_CASE("stats: CPU and memory percentages") {
    StatsSample a, b;
    a.at_ns = 1'000'000'000;
    b.at_ns = 2'000'000'000;
    a.cpu_ns = 0;
    b.cpu_ns = 500'000'000;
    CHECK(percent_text(cpu_percent(a, b)) == "50.00%");
    b.cpu_ns = 2'000'000'000;  // two CPUs busy
    CHECK(percent_text(cpu_percent(a, b)) == "200.00%");
    CHECK(cpu_percent(b, a) == 0.0);  // clock going back: no nonsense
    CHECK(percent_text(mem_percent(1024, 4096)) == "25.00%");
    CHECK(mem_percent(1, 0) == 0.0);
    CHECK(percent_text(0.0) == "0.00%");
}

TEST_CASE("stats: sizes as Docker prints them") {
    CHECK(mem_usage_text(1572864, 25125558681ULL) == "1.5MiB / 23.4GiB");
    CHECK(mem_usage_text(0, 1024) == "0B / 1KiB");
    CHECK(decimal_size3(0) == "0B");
    CHECK(decimal_size3(999) == "999B");
    CHECK(decimal_size3(1234) == "1.23kB");
    CHECK(decimal_size3(45600000) == "45.6MB");
    CHECK(io_pair_text(1234, 0) == "1.23kB / 0B");
}

TEST_CASE("stats: a row") {
    StatsSample a, b;
    b.running = true;
    b.at_ns = 1'000'000'000;
    b.cpu_ns = 250'000'000;
    b.mem = 1024 * 1024;
    b.mem_limit = 4 * 1024 * 1024;
    b.pids = 3;
    auto r = stats_row("web", "0123456789abcdef", "web", a, b, false);
    CHECK(r["Container"] == "web");
    CHECK(r["ID"] == "0123456789ab");
    CHECK(r["CPUPerc"] == "25.00%");
    CHECK(r["MemUsage"] == "1MiB / 4MiB");
    CHECK(r["MemPerc"] == "25.00%");
    CHECK(r["NetIO"] == "0B / 0B");
    CHECK(r["BlockIO"] == "0B / 0B");
    CHECK(r["PIDs"] == "3");
    CHECK(stats_row("", "0123456789abcdef", "web", a, b, true)["Container"] == "0123456789abcdef");
    b.running = false;
    CHECK(stats_row("", "0123456789abcdef", "web", a, b, false)["CPUPerc"] == "--");
}

TEST_CASE("stats: parsing /proc and cgroup files") {
    const char* netdev =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        "    lo:   12345      10    0    0    0     0          0         0    12345      10    0    0    0     0       0          0\n"
        "  eth0:    1000       5    0    0    0     0          0         0      250       3    0    0    0     0       0          0\n"
        "  eth1:      24       1    0    0    0     0          0         0        6       1    0    0    0     0       0          0\n";
    uint64_t rx, tx;
    parse_net_dev(netdev, rx, tx);
    CHECK(rx == 1024);
    CHECK(tx == 256);
    CHECK(parse_proc_stat_ticks("42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 100") == 12);
    CHECK(parse_proc_stat_ticks("garbage") == 0);
    CHECK(parse_status_rss("Name:\tsh\nVmRSS:\t    1500 kB\nThreads: 1\n") == 1500 * 1024);
    CHECK(parse_keyed("rchar: 10\nread_bytes: 4096\nwrite_bytes: 512\n", "read_bytes") == 4096);
    CHECK(parse_keyed("usage_usec 1234\nuser_usec 1000\n", "usage_usec") == 1234);
    CHECK(parse_keyed("x 1\n", "missing") == 0);
    uint64_t r, w;
    parse_blkio_v1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:16 Read 4\nTotal 4612\n", r, w);
    CHECK(r == 4100);
    CHECK(w == 512);
    parse_io_stat_v2("8:0 rbytes=4096 wbytes=100 rios=1 wios=1\n8:16 rbytes=4 wbytes=0\n", r, w);
    CHECK(r == 4100);
    CHECK(w == 100);
}
