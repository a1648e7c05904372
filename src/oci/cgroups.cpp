#include "oci/cgroups.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "oci/cgroup_devices.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::oci {

namespace {

// One mounted hierarchy and where this process sits in it.
struct Hierarchy {
    std::string mount;  // /sys/fs/cgroup/memory
    bool v2 = false;
    std::set<std::string> controllers;
    std::string own;  // this process's cgroup, relative to the hierarchy root
};

std::vector<std::string> split_ws(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

std::vector<Hierarchy> discover() {
    // /proc/self/cgroup: "4:memory:/a/b" (v1) and "0::/a/b" (v2).
    std::map<std::string, std::string> own_v1;  // controller list -> path
    std::string own_v2;
    bool have_v2_line = false;
    if (auto text = fs::read_file_if_exists("/proc/self/cgroup")) {
        for (auto& line : str::split(*text, '\n')) {
            auto first = line.find(':');
            auto second = line.find(':', first + 1);
            if (first == std::string::npos || second == std::string::npos) continue;
            std::string ctrls = line.substr(first + 1, second - first - 1);
            std::string path = line.substr(second + 1);
            if (ctrls.empty()) {
                own_v2 = path;
                have_v2_line = true;
            } else {
                for (auto& c : str::split(ctrls, ',')) own_v1[c] = path;
            }
        }
    }
    std::vector<Hierarchy> out;
    auto text = fs::read_file_if_exists("/proc/self/mountinfo");
    if (!text) return out;
    for (auto& line : str::split(*text, '\n')) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        auto pre = split_ws(line.substr(0, dash));
        auto post = split_ws(line.substr(dash + 3));
        if (pre.size() < 5 || post.size() < 3) continue;
        const std::string& root = pre[3];
        const std::string& mnt = pre[4];
        const std::string& type = post[0];
        if (type != "cgroup" && type != "cgroup2") continue;
        Hierarchy h;
        h.mount = mnt;
        h.v2 = type == "cgroup2";
        std::string own;
        if (h.v2) {
            if (!have_v2_line) continue;
            if (auto c = fs::read_file_if_exists(mnt + "/cgroup.controllers"))
                for (auto& w : split_ws(*c)) h.controllers.insert(w);
            own = own_v2;
        } else {
            for (auto& opt : str::split(post[2], ',')) {
                if (opt == "rw" || opt == "ro" || opt.find('=') != std::string::npos) continue;
                h.controllers.insert(opt);
            }
            if (h.controllers.empty()) continue;  // name=systemd and friends
            own = own_v1.count(*h.controllers.begin()) ? own_v1[*h.controllers.begin()] : "/";
        }
        // Inside a cgroup namespace or a bind of a subtree, the mount's root
        // is a prefix of our path.
        if (root != "/" && own.rfind(root, 0) == 0) own = own.substr(root.size());
        if (own.empty()) own = "/";
        h.own = own;
        // A hierarchy mounted twice: keep the first.
        bool dup = std::any_of(out.begin(), out.end(), [&](const Hierarchy& o) {
            return o.v2 == h.v2 && o.controllers == h.controllers;
        });
        if (!dup) out.push_back(std::move(h));
    }
    return out;
}

const Hierarchy* find_controller(const std::vector<Hierarchy>& hs, const std::string& c) {
    for (auto& h : hs)
        if (!h.v2 && h.controllers.count(c)) return &h;
    for (auto& h : hs)
        if (h.v2 && h.controllers.count(c)) return &h;
    return nullptr;
}

const Hierarchy* find_v2(const std::vector<Hierarchy>& hs) {
    for (auto& h : hs)
        if (h.v2) return &h;
    return nullptr;
}

bool is_pure_v2(const std::vector<Hierarchy>& hs) {
    return std::all_of(hs.begin(), hs.end(), [](const Hierarchy& h) { return h.v2; }) && !hs.empty();
}

// The file writes a set of resources calls for, per controller.
struct Write {
    std::string controller;  // "" for a v2-only file (unified)
    std::string file;
    std::string value;
};

std::string num(int64_t v) { return std::to_string(v); }
std::string unum(uint64_t v) { return std::to_string(v); }
std::string dev(int64_t maj, int64_t min) { return num(maj) + ":" + num(min); }

[[noreturn]] void unsupported(const std::string& field, const std::string& why) {
    throw Error("config.json: linux.resources." + field + ": " + why);
}

// cgroup v1 blkio weight (10-1000) to v2 io weight (1-10000), as runc and crun convert.
uint64_t io_weight(uint64_t w) { return 1 + (w - 10) * 9999 / 990; }
// v1 cpu shares (2-262144) to v2 cpu weight (1-10000).
uint64_t cpu_weight(uint64_t shares) {
    if (shares < 2) shares = 2;
    return 1 + ((shares - 2) * 9999) / 262142;
}

std::vector<Write> plan(const Resources& r, const std::vector<Hierarchy>& hs, const WarnFn& warn) {
    std::vector<Write> w;
    auto v2 = [&](const char* c) {
        const Hierarchy* h = find_controller(hs, c);
        if (!h) throw Error(std::string("cgroup controller \"") + c + "\" is not available on this host");
        return h->v2;
    };
    bool mem = r.memory_limit || r.memory_reservation || r.memory_swap || r.memory_swappiness ||
               r.memory_disable_oom_killer || r.memory_kernel_tcp;
    if (r.memory_kernel)
        warn("linux.resources.memory.kernel is deprecated and ignored (the kernel removed kernel memory limits)");
    if (mem && !v2("memory")) {
        if (r.memory_limit) w.push_back({"memory", "memory.limit_in_bytes", num(*r.memory_limit)});
        if (r.memory_swap) w.push_back({"memory", "memory.memsw.limit_in_bytes", num(*r.memory_swap)});
        if (r.memory_reservation)
            w.push_back({"memory", "memory.soft_limit_in_bytes", num(*r.memory_reservation)});
        if (r.memory_swappiness) w.push_back({"memory", "memory.swappiness", unum(*r.memory_swappiness)});
        if (r.memory_disable_oom_killer)
            w.push_back({"memory", "memory.oom_control", *r.memory_disable_oom_killer ? "1" : "0"});
        if (r.memory_kernel_tcp)
            w.push_back({"memory", "memory.kmem.tcp.limit_in_bytes", num(*r.memory_kernel_tcp)});
    } else if (mem) {
        auto max = [](int64_t v) { return v < 0 ? std::string("max") : num(v); };
        if (r.memory_limit) w.push_back({"memory", "memory.max", max(*r.memory_limit)});
        if (r.memory_reservation) w.push_back({"memory", "memory.low", max(*r.memory_reservation)});
        if (r.memory_swap) {
            // The spec's swap is memory+swap (v1 memsw); v2 limits swap alone.
            std::string v;
            if (*r.memory_swap < 0) v = "max";
            else if (!r.memory_limit || *r.memory_limit < 0)
                unsupported("memory.swap", "needs memory.limit on cgroup v2");
            else v = num(*r.memory_swap - *r.memory_limit);
            w.push_back({"memory", "memory.swap.max", v});
        }
        if (r.memory_swappiness) unsupported("memory.swappiness", "is not supported on cgroup v2");
        if (r.memory_disable_oom_killer && *r.memory_disable_oom_killer)
            unsupported("memory.disableOOMKiller", "is not supported on cgroup v2");
        if (r.memory_kernel_tcp) unsupported("memory.kernelTCP", "is not supported on cgroup v2");
    }
    bool cpu = r.cpu_shares || r.cpu_quota || r.cpu_period || r.cpu_burst || r.cpu_realtime_period ||
               r.cpu_realtime_runtime || r.cpu_idle;
    if (cpu && !v2("cpu")) {
        // The period first: a quota is checked against the current period.
        if (r.cpu_period) w.push_back({"cpu", "cpu.cfs_period_us", unum(*r.cpu_period)});
        if (r.cpu_quota) w.push_back({"cpu", "cpu.cfs_quota_us", num(*r.cpu_quota)});
        if (r.cpu_burst) w.push_back({"cpu", "cpu.cfs_burst_us", unum(*r.cpu_burst)});
        if (r.cpu_shares) w.push_back({"cpu", "cpu.shares", unum(*r.cpu_shares)});
        if (r.cpu_realtime_period) w.push_back({"cpu", "cpu.rt_period_us", unum(*r.cpu_realtime_period)});
        if (r.cpu_realtime_runtime) w.push_back({"cpu", "cpu.rt_runtime_us", num(*r.cpu_realtime_runtime)});
        if (r.cpu_idle) w.push_back({"cpu", "cpu.idle", num(*r.cpu_idle)});
    } else if (cpu) {
        if (r.cpu_shares) w.push_back({"cpu", "cpu.weight", unum(cpu_weight(*r.cpu_shares))});
        if (r.cpu_quota || r.cpu_period) {
            std::string q = r.cpu_quota && *r.cpu_quota > 0 ? num(*r.cpu_quota) : "max";
            w.push_back({"cpu", "cpu.max", q + " " + unum(r.cpu_period.value_or(100000))});
        }
        if (r.cpu_burst) w.push_back({"cpu", "cpu.max.burst", unum(*r.cpu_burst)});
        if (r.cpu_idle) w.push_back({"cpu", "cpu.idle", num(*r.cpu_idle)});
        if (r.cpu_realtime_period || r.cpu_realtime_runtime)
            unsupported("cpu.realtimeRuntime", "real-time scheduling limits are not supported on cgroup v2");
    }
    if (!r.cpu_cpus.empty() || !r.cpu_mems.empty()) {
        v2("cpuset");
        if (!r.cpu_cpus.empty()) w.push_back({"cpuset", "cpuset.cpus", r.cpu_cpus});
        if (!r.cpu_mems.empty()) w.push_back({"cpuset", "cpuset.mems", r.cpu_mems});
    }
    if (r.pids_limit) {
        v2("pids");
        w.push_back({"pids", "pids.max", *r.pids_limit > 0 ? num(*r.pids_limit) : "max"});
    }
    bool blk = r.blkio_weight || r.blkio_leaf_weight || !r.blkio_weight_device.empty() ||
               !r.blkio_throttle_read_bps.empty() || !r.blkio_throttle_write_bps.empty() ||
               !r.blkio_throttle_read_iops.empty() || !r.blkio_throttle_write_iops.empty();
    if (blk && find_controller(hs, "blkio")) {
        // "?" marks a file with a BFQ alternative, resolved when written.
        if (r.blkio_weight) w.push_back({"blkio", "?blkio.weight", unum(*r.blkio_weight)});
        if (r.blkio_leaf_weight) w.push_back({"blkio", "blkio.leaf_weight", unum(*r.blkio_leaf_weight)});
        for (auto& d : r.blkio_weight_device) {
            if (d.weight) w.push_back({"blkio", "?blkio.weight_device", dev(d.major, d.minor) + " " + unum(*d.weight)});
            if (d.leaf_weight)
                w.push_back({"blkio", "blkio.leaf_weight_device", dev(d.major, d.minor) + " " + unum(*d.leaf_weight)});
        }
        auto thr = [&](const std::vector<ThrottleDevice>& v, const char* file) {
            for (auto& d : v) w.push_back({"blkio", file, dev(d.major, d.minor) + " " + unum(d.rate)});
        };
        thr(r.blkio_throttle_read_bps, "blkio.throttle.read_bps_device");
        thr(r.blkio_throttle_write_bps, "blkio.throttle.write_bps_device");
        thr(r.blkio_throttle_read_iops, "blkio.throttle.read_iops_device");
        thr(r.blkio_throttle_write_iops, "blkio.throttle.write_iops_device");
    } else if (blk) {
        v2("io");
        if (r.blkio_weight) w.push_back({"io", "?io.weight", unum(io_weight(*r.blkio_weight))});
        if (r.blkio_leaf_weight) unsupported("blockIO.leafWeight", "is not supported on cgroup v2");
        for (auto& d : r.blkio_weight_device)
            if (d.weight)
                w.push_back({"io", "?io.weight", dev(d.major, d.minor) + " " + unum(io_weight(*d.weight))});
        auto thr = [&](const std::vector<ThrottleDevice>& v, const char* key) {
            for (auto& d : v) w.push_back({"io", "io.max", dev(d.major, d.minor) + " " + key + "=" + unum(d.rate)});
        };
        thr(r.blkio_throttle_read_bps, "rbps");
        thr(r.blkio_throttle_write_bps, "wbps");
        thr(r.blkio_throttle_read_iops, "riops");
        thr(r.blkio_throttle_write_iops, "wiops");
    }
    for (auto& [size, limit] : r.hugepage_limits) {
        bool is2 = v2("hugetlb");
        w.push_back({"hugetlb", "hugetlb." + size + (is2 ? ".max" : ".limit_in_bytes"), unum(limit)});
    }
    for (auto& [file, value] : r.unified) {
        if (!find_v2(hs)) unsupported("unified", "needs cgroup v2, which this host does not mount");
        w.push_back({"", file, value});
    }
    if (r.network_requested)
        unsupported("network", "net_cls/net_prio limits are not supported by this runtime");
    if (r.rdma_requested) unsupported("rdma", "rdma limits are not supported by this runtime");
    return w;
}

// The container's device rules: the config's, then the devices every
// container gets (those the runtime creates in /dev, and the ptys).
std::vector<DeviceRule> effective_device_rules(const Spec& spec) {
    std::vector<DeviceRule> rules = spec.linux.resources->devices;
    auto allow = [&](char type, int64_t major, std::optional<int64_t> minor) {
        DeviceRule r;
        r.allow = true;
        r.type = type;
        r.major = major;
        r.minor = minor;
        r.access = "rwm";
        rules.push_back(r);
    };
    static const int64_t defaults[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}};
    for (auto& d : defaults) allow('c', d[0], d[1]);
    allow('c', 136, std::nullopt);  // /dev/pts/*
    for (auto& d : spec.linux.devices)
        if (d.type != 'p') allow(d.type == 'b' ? 'b' : 'c', d.major, d.minor);
    return rules;
}

// The same rules as writes to v1's devices.allow and devices.deny.
std::vector<Write> device_writes(const std::vector<DeviceRule>& rules) {
    std::vector<Write> w;
    for (auto& r : rules) {
        std::string line = "a";
        if (r.type != 'a')
            line = std::string(1, r.type) + " " + (r.major ? num(*r.major) : std::string("*")) + ":" +
                   (r.minor ? num(*r.minor) : std::string("*")) + " " + r.access;
        w.push_back({"devices", r.allow ? "devices.allow" : "devices.deny", line});
    }
    return w;
}

void write_value(const std::string& dir, const std::string& file, const std::string& value) {
    std::string path = dir + "/" + file;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            throw Error("cgroup: " + file + " is not supported by this kernel (no " + path + ")");
        throw_errno("cgroup: open " + path);
    }
    if (::write(fd.get(), value.data(), value.size()) < 0)
        throw_errno("cgroup: write \"" + value + "\" to " + path);
}

std::string read_trim(const std::string& path) {
    auto t = fs::read_file_if_exists(path);
    return t ? str::trim(*t) : std::string();
}

// mkdir -p below the hierarchy root; returns whether the leaf was created.
// New v1 cpuset cgroups start with no CPUs: they inherit the parent's.
bool make_cgroup_dirs(const Hierarchy& h, const std::string& rel) {
    std::string cur = h.mount;
    bool created = false;
    for (auto& part : str::split(rel, '/')) {
        if (part.empty()) continue;
        std::string parent = cur;
        cur += "/" + part;
        if (::mkdir(cur.c_str(), 0755) == 0) {
            created = true;
            if (!h.v2 && h.controllers.count("cpuset")) {
                for (const char* f : {"cpuset.cpus", "cpuset.mems"})
                    if (read_trim(cur + "/" + f).empty()) write_value(cur, f, read_trim(parent + "/" + f));
            }
        } else if (errno == EEXIST) {
            created = false;
        } else {
            throw_errno("cgroup: mkdir " + cur);
        }
    }
    return created;
}

// v2: a controller is usable in a cgroup only when every ancestor lists it
// in cgroup.subtree_control.
void enable_v2_controllers(const Hierarchy& h, const std::string& rel, const std::set<std::string>& ctrls) {
    if (ctrls.empty()) return;
    std::string line;
    for (auto& c : ctrls) line += (line.empty() ? "+" : " +") + c;
    std::string cur = h.mount;
    auto parts = str::split(rel, '/');
    parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
    for (size_t i = 0; i < parts.size(); ++i) {
        write_value(cur, "cgroup.subtree_control", line);
        cur += "/" + parts[i];
    }
}

std::string join_rel(const std::string& base, const std::string& rel) {
    std::string out = base == "/" ? "" : base;
    if (!rel.empty() && rel[0] != '/') out += "/";
    return out + rel;
}

// Why a rootless runtime cannot limit resources here, in one clause.
std::string rootless_reason(const std::vector<Hierarchy>& hs) {
    const Hierarchy* v2 = find_v2(hs);
    bool any_v1 = std::any_of(hs.begin(), hs.end(), [](const Hierarchy& h) { return !h.v2; });
    std::string why;
    if (v2) {
        std::string dir = v2->mount + (v2->own == "/" ? "" : v2->own);
        if (v2->controllers.empty()) why = "cgroup v2 has no controllers enabled";
        else if (::access(dir.c_str(), W_OK) != 0) why = "cgroup v2 " + dir + " is not delegated to this user";
        else why = "cgroup v2 delegation at " + dir + " lacks the controllers";
    } else {
        why = "there is no cgroup v2 hierarchy";
    }
    if (any_v1) why += " and the cgroup v1 hierarchies belong to root";
    return why;
}

}  // namespace

CgroupSet cgroup_create(const Spec& spec, const std::string& id, bool rootless, const WarnFn& warn) {
    const auto& res = spec.linux.resources;
    bool limits = res && res->has_limits();
    bool rules = res && !res->devices.empty();
    // Rootless, cgroups are only worth the syscalls when limits are asked
    // for. Device rules need none there: a user namespace cannot mknod, and
    // the host nodes it binds keep the host's permissions.
    // Rootless without limits, a delegated cgroup v2 is still worth one
    // mkdir: it is what lets `pause` freeze the container. Optional: a
    // failure here must not fail the start.
    if (rootless && !limits) {
        if (!fs::exists("/sys/fs/cgroup/cgroup.controllers")) return {};
        try {
            auto hs = discover();
            const Hierarchy* v2 = find_v2(hs);
            if (!v2 || !is_pure_v2(hs)) return {};
            std::string rel = join_rel(v2->own, "skiff-" + id);
            std::string base = v2->mount + (v2->own == "/" ? "" : v2->own);
            // Moving the init needs the common ancestor's cgroup.procs too.
            if (::access(base.c_str(), W_OK) != 0 || ::access((base + "/cgroup.procs").c_str(), W_OK) != 0) return {};
            CgroupSet set;
            bool created = make_cgroup_dirs(*v2, rel);
            set.dirs.push_back(v2->mount + rel);
            if (created) set.created.push_back(v2->mount + rel);
            return set;
        } catch (const Error&) {
            return {};
        }
    }
    auto hs = discover();
    if (hs.empty()) {
        if (limits) warn("cgroups are not mounted: linux.resources limits are not applied");
        return {};
    }
    std::vector<Write> writes;
    if (res) writes = plan(*res, hs, warn);

    // Which hierarchies: those the writes need, plus one to track the
    // container's processes (pids on v1, the unified one on v2).
    std::set<const Hierarchy*> used;
    std::vector<DeviceRule> device_rules;
    std::map<const Hierarchy*, std::set<std::string>> v2_ctrls;
    for (auto& w : writes) {
        const Hierarchy* h = w.controller.empty() ? find_v2(hs) : find_controller(hs, w.controller);
        used.insert(h);
        if (h->v2 && !w.controller.empty()) v2_ctrls[h].insert(w.controller);
    }
    if (rootless) {
        // Only a delegated v2 tree is usable: every write must land there.
        const Hierarchy* v2 = find_v2(hs);
        bool ok = v2 && std::all_of(used.begin(), used.end(), [&](const Hierarchy* h) { return h == v2; });
        if (ok) {
            std::string base = v2->mount + (v2->own == "/" ? "" : v2->own);
            for (auto& [h, cs] : v2_ctrls)
                for (auto& c : cs)
                    if (!h->controllers.count(c)) ok = false;
            ok = ok && ::access(base.c_str(), W_OK) == 0;
        }
        if (!ok) {
            warn("resource limits are unavailable to this rootless container (" + rootless_reason(hs) +
                 "): linux.resources is not applied");
            return {};
        }
    } else {
        const Hierarchy* tracker = find_controller(hs, "pids");
        if (!tracker || (!tracker->v2 && is_pure_v2(hs))) tracker = find_v2(hs);
        if (tracker) used.insert(tracker);
        // Joined without limits too: the freezer for `pause`, the
        // accounting controllers for `stats`.
        for (const char* c : {"freezer", "memory", "cpuacct", "blkio"})
            if (const Hierarchy* h = find_controller(hs, c); h && !h->v2) used.insert(h);
        if (rules) {
            device_rules = effective_device_rules(spec);
            if (const Hierarchy* d = find_controller(hs, "devices"); d && !d->v2) {
                auto dw = device_writes(device_rules);
                writes.insert(writes.end(), dw.begin(), dw.end());
                used.insert(d);
            } else if (const Hierarchy* v2 = find_v2(hs)) {
                used.insert(v2);  // an eBPF program on the v2 cgroup
            } else {
                throw Error("linux.resources.devices: no devices cgroup controller and no cgroup v2 here");
            }
        }
    }

    // The path: absolute below each hierarchy's root, relative below our
    // own cgroup; by default /skiff/<id> (root) or <own>/skiff-<id> (rootless).
    std::string path = spec.linux.cgroups_path;
    if (path.find("..") != std::string::npos) throw Error("config.json: linux.cgroupsPath: must not contain \"..\"");
    if (!path.empty() && path.find(':') != std::string::npos && path[0] != '/')
        throw Error("config.json: linux.cgroupsPath: \"" + path +
                    "\" looks like a systemd slice:prefix:name path; the systemd cgroup driver is not supported");

    CgroupSet set;
    try {
        for (const Hierarchy* h : used) {
            std::string rel;
            if (path.empty()) rel = rootless ? join_rel(h->own, "skiff-" + id) : "/skiff/" + id;
            else if (path[0] == '/') rel = path;
            else rel = join_rel(h->own, path);
            if (h->v2) enable_v2_controllers(*h, rel, v2_ctrls[h]);
            bool created = make_cgroup_dirs(*h, rel);
            std::string dir = h->mount + rel;
            set.dirs.push_back(dir);
            if (created) set.created.push_back(dir);
            bool v1_devices = false;
            if (const Hierarchy* d = find_controller(hs, "devices")) v1_devices = !d->v2;
            if (h->v2 && !device_rules.empty() && !v1_devices) attach_device_filter(dir, device_rules);
            for (auto& w : writes) {
                const Hierarchy* wh = w.controller.empty() ? find_v2(hs) : find_controller(hs, w.controller);
                if (wh != h) continue;
                std::string file = w.file;
                if (file[0] == '?') {
                    // blkio.weight / io.weight exist only with CFQ; BFQ has its own.
                    file = file.substr(1);
                    if (!fs::exists(dir + "/" + file)) {
                        std::string bfq = file.substr(0, file.find('.')) + ".bfq" + file.substr(file.find('.'));
                        if (fs::exists(dir + "/" + bfq)) file = bfq;
                    }
                }
                write_value(dir, file, w.value);
            }
        }
    } catch (...) {
        cgroup_destroy(set, [](const std::string&) {});
        throw;
    }
    return set;
}

void cgroup_enter(const CgroupSet& set, pid_t pid) {
    std::string p = std::to_string(pid);
    for (auto& d : set.dirs) write_value(d, "cgroup.procs", p);
}

std::vector<pid_t> cgroup_pids(const CgroupSet& set) {
    std::vector<pid_t> out;
    if (set.dirs.empty()) return out;
    auto text = fs::read_file_if_exists(set.dirs.front() + "/cgroup.procs");
    if (!text) return out;
    for (auto& l : str::split(*text, '\n'))
        if (!l.empty()) out.push_back(static_cast<pid_t>(std::stol(l)));
    return out;
}

void cgroup_destroy(const CgroupSet& set, const WarnFn& warn) {
    for (auto& d : set.created) {
        // Processes killed a moment ago may still be leaving: retry for ~1 s.
        for (int i = 0;; ++i) {
            if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
            if (errno != EBUSY || i >= 200) {
                warn("cgroup: rmdir " + d + ": " + std::strerror(errno));
                break;
            }
            for (pid_t p : cgroup_pids(CgroupSet{{d}, {}})) ::kill(p, SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
}

std::string cgroup_summary() {
    auto hs = discover();
    std::string v1, v2;
    for (auto& h : hs) {
        std::string& s = h.v2 ? v2 : v1;
        for (auto& c : h.controllers) s += (s.empty() ? "" : " ") + c;
    }
    std::string out;
    bool any_v1 = std::any_of(hs.begin(), hs.end(), [](const Hierarchy& h) { return !h.v2; });
    if (any_v1) out = "v1 (" + v1 + ")";
    if (find_v2(hs)) out += std::string(out.empty() ? "" : " + ") + "v2 (" + v2 + ")";
    return out.empty() ? "none" : out;
}

}  // namespace skiff::oci
