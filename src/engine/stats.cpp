#include "engine/stats.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "oci/state.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::engine {

namespace {

using container::StatsSample;

std::string read(const std::string& path) { return fs::read_file_if_exists(path).value_or(""); }

std::optional<uint64_t> read_num(const std::string& path) {
    auto t = fs::read_file_if_exists(path);
    if (!t) return std::nullopt;
    std::string s = str::trim(*t);
    if (s == "max") return UINT64_MAX;
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    return std::strtoull(s.c_str(), nullptr, 10);
}

// Every process whose PID namespace is the init's (top does the same).
std::vector<std::string> pids_in_namespace(pid_t init) {
    std::vector<std::string> out;
    struct stat want;
    if (::stat(("/proc/" + std::to_string(init) + "/ns/pid").c_str(), &want) < 0) return out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (auto* ent = ::readdir(d)) {
        std::string name = ent->d_name;
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        struct stat st;
        if (::stat(("/proc/" + name + "/ns/pid").c_str(), &st) == 0 && st.st_ino == want.st_ino &&
            st.st_dev == want.st_dev)
            out.push_back(name);
    }
    ::closedir(d);
    return out;
}

// With --pid host the namespace is the host's: the init and its
// descendants instead (by the parent pid in /proc/PID/stat).
std::vector<std::string> init_and_descendants(pid_t init) {
    std::map<std::string, std::vector<std::string>> children;
    DIR* d = ::opendir("/proc");
    if (!d) return {std::to_string(init)};
    while (auto* ent = ::readdir(d)) {
        std::string name = ent->d_name;
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string stat = read("/proc/" + name + "/stat");
        auto close = stat.rfind(')');
        if (close == std::string::npos || close + 4 >= stat.size()) continue;
        std::string rest = stat.substr(close + 4);  // after ") S "
        children[rest.substr(0, rest.find(' '))].push_back(name);
    }
    ::closedir(d);
    std::vector<std::string> out = {std::to_string(init)};
    for (size_t i = 0; i < out.size(); ++i)
        for (auto& c : children[out[i]]) out.push_back(c);
    return out;
}

// The parts a cgroup can answer; returns which it did.
struct Found {
    bool cpu = false, mem = false, blk = false, pids = false;
};

Found from_cgroups(const std::vector<std::string>& dirs, StatsSample& s) {
    Found f;
    for (auto& d : dirs) {
        if (auto v = read_num(d + "/cpuacct.usage")) s.cpu_ns = *v, f.cpu = true;
        if (fs::exists(d + "/cpu.stat") && !fs::exists(d + "/cpu.cfs_period_us")) {  // v2
            s.cpu_ns = container::parse_keyed(read(d + "/cpu.stat"), "usage_usec") * 1000;
            f.cpu = true;
        }
        if (auto v = read_num(d + "/memory.usage_in_bytes")) {
            // Docker subtracts the page cache that can be dropped at once.
            uint64_t inactive = container::parse_keyed(read(d + "/memory.stat"), "total_inactive_file");
            s.mem = inactive < *v ? *v - inactive : *v;
            if (auto l = read_num(d + "/memory.limit_in_bytes")) s.mem_limit = *l;
            f.mem = true;
        } else if (auto v = read_num(d + "/memory.current")) {
            uint64_t inactive = container::parse_keyed(read(d + "/memory.stat"), "inactive_file");
            s.mem = inactive < *v ? *v - inactive : *v;
            if (auto l = read_num(d + "/memory.max")) s.mem_limit = *l;
            f.mem = true;
        }
        if (auto v = read_num(d + "/pids.current")) s.pids = *v, f.pids = true;
        if (fs::exists(d + "/blkio.throttle.io_service_bytes")) {
            container::parse_blkio_v1(read(d + "/blkio.throttle.io_service_bytes"), s.blk_read, s.blk_write);
            f.blk = true;
        } else if (fs::exists(d + "/io.stat")) {
            container::parse_io_stat_v2(read(d + "/io.stat"), s.blk_read, s.blk_write);
            f.blk = true;
        }
    }
    return f;
}

}  // namespace

container::StatsSample sample_stats(Engine& e, const container::Container& c, std::string* source) {
    StatsSample s;
    s.at_ns = timeutil::now_ns();
    if (!c.running() || c.pid <= 0) return s;
    s.running = true;
    std::vector<std::string> dirs;
    try {
        dirs = oci::StateStore(e.paths().runtime_state_dir()).load(c.id).cgroup_dirs;
    } catch (const Error&) {
    }
    Found f = from_cgroups(dirs, s);
    if (source) *source = f.cpu && f.mem ? "cgroup" : "proc";
    // What the cgroups did not say: sum over the container's processes.
    if (!f.cpu || !f.mem || !f.blk || !f.pids) {
        static const long ticks = ::sysconf(_SC_CLK_TCK);
        uint64_t cpu = 0, rss = 0, rd = 0, wr = 0;
        auto pids = c.spec.pid == "host" ? init_and_descendants(c.pid) : pids_in_namespace(c.pid);
        for (auto& p : pids) {
            std::string base = "/proc/" + p;
            cpu += container::parse_proc_stat_ticks(read(base + "/stat"));
            rss += container::parse_status_rss(read(base + "/status"));
            std::string io = read(base + "/io");
            rd += container::parse_keyed(io, "read_bytes");
            wr += container::parse_keyed(io, "write_bytes");
        }
        if (!f.cpu) s.cpu_ns = cpu * (1000000000ULL / static_cast<uint64_t>(ticks > 0 ? ticks : 100));
        if (!f.mem) s.mem = rss;
        if (!f.blk) s.blk_read = rd, s.blk_write = wr;
        if (!f.pids) s.pids = pids.size();
    }
    // No limit (or one above the machine): the machine's memory, as Docker.
    uint64_t total = static_cast<uint64_t>(host::memory_bytes());
    if (s.mem_limit == 0 || (total > 0 && s.mem_limit > total)) s.mem_limit = total;
    container::parse_net_dev(read("/proc/" + std::to_string(c.pid) + "/net/dev"), s.net_rx, s.net_tx);
    return s;
}

}  // namespace skiff::engine
