// Parse and validate config.json. Every error names the JSON path of the
// offending field so that a user can find it without reading our source.
#include "oci/spec.hpp"

#include <linux/sched.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::oci {

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& why) {
    throw Error("config.json: " + path + ": " + why);
}

std::string child(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

std::string index(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

// Object member or nullptr when absent or null (null means "not set").
const Json* member(const Json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

void need_object(const Json& j, const std::string& path) {
    if (!j.is_object()) bad(path, "must be an object");
}

void need_array(const Json& j, const std::string& path) {
    if (!j.is_array()) bad(path, "must be an array");
}

std::string get_string(const Json& obj, const char* key, const std::string& path,
                       bool required = false) {
    const Json* v = member(obj, key);
    if (!v) {
        if (required) bad(child(path, key), "is required");
        return {};
    }
    if (!v->is_string()) bad(child(path, key), "must be a string");
    return v->get<std::string>();
}

bool get_bool(const Json& obj, const char* key, const std::string& path, bool dflt = false) {
    const Json* v = member(obj, key);
    if (!v) return dflt;
    if (!v->is_boolean()) bad(child(path, key), "must be a boolean");
    return v->get<bool>();
}

std::optional<bool> get_opt_bool(const Json& obj, const char* key, const std::string& path) {
    if (!member(obj, key)) return std::nullopt;
    return get_bool(obj, key, path);
}

// Unsigned integer no larger than `max`.
std::optional<uint64_t> get_uint(const Json& obj, const char* key, const std::string& path,
                                 uint64_t max = UINT64_MAX) {
    const Json* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) bad(child(path, key), "must be an integer");
    if (v->is_number_unsigned()) {
        uint64_t u = v->get<uint64_t>();
        if (u > max) bad(child(path, key), "must be at most " + std::to_string(max));
        return u;
    }
    int64_t s = v->get<int64_t>();
    if (s < 0) bad(child(path, key), "must not be negative");
    if (static_cast<uint64_t>(s) > max)
        bad(child(path, key), "must be at most " + std::to_string(max));
    return static_cast<uint64_t>(s);
}

std::optional<int64_t> get_int(const Json& obj, const char* key, const std::string& path) {
    const Json* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) bad(child(path, key), "must be an integer");
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        bad(child(path, key), "is out of range");
    return v->get<int64_t>();
}

std::vector<std::string> get_strings(const Json& obj, const char* key, const std::string& path) {
    std::vector<std::string> out;
    const Json* v = member(obj, key);
    if (!v) return out;
    std::string p = child(path, key);
    need_array(*v, p);
    for (size_t i = 0; i < v->size(); ++i) {
        if (!(*v)[i].is_string()) bad(index(p, i), "must be a string");
        out.push_back((*v)[i].get<std::string>());
    }
    return out;
}

std::map<std::string, std::string> get_string_map(const Json& obj, const char* key,
                                                  const std::string& path) {
    std::map<std::string, std::string> out;
    const Json* v = member(obj, key);
    if (!v) return out;
    std::string p = child(path, key);
    need_object(*v, p);
    for (auto& [k, val] : v->items()) {
        if (!val.is_string()) bad(child(p, k), "must be a string");
        out[k] = val.get<std::string>();
    }
    return out;
}

bool is_absolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

// ---- names ------------------------------------------------------------

constexpr std::array<const char*, 41> kCapNames = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",         "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",      "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",          "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

struct RlimitName {
    const char* name;
    int resource;
};
constexpr std::array<RlimitName, 16> kRlimits = {{
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
}};

const std::set<std::string>& seccomp_actions() {
    static const std::set<std::string> s = {
        "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
        "SCMP_ACT_NOTIFY"};
    return s;
}

const std::set<std::string>& seccomp_ops() {
    static const std::set<std::string> s = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                            "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                            "SCMP_CMP_MASKED_EQ"};
    return s;
}

const std::set<std::string>& seccomp_flags() {
    static const std::set<std::string> s = {
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    return s;
}

const std::set<std::string>& seccomp_archs() {
    static const std::set<std::string> s = {
        "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",
        "SCMP_ARCH_ARM",       "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
        "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X",     "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_RISCV64",   "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
        "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB"};
    return s;
}

// ---- sections ---------------------------------------------------------

IdMapping parse_mapping(const Json& j, const std::string& path) {
    need_object(j, path);
    IdMapping m;
    auto c = get_uint(j, "containerID", path, UINT32_MAX);
    auto h = get_uint(j, "hostID", path, UINT32_MAX);
    auto s = get_uint(j, "size", path, UINT32_MAX);
    if (!c) bad(child(path, "containerID"), "is required");
    if (!h) bad(child(path, "hostID"), "is required");
    if (!s) bad(child(path, "size"), "is required");
    if (*s == 0) bad(child(path, "size"), "must be greater than 0");
    m.container_id = static_cast<uint32_t>(*c);
    m.host_id = static_cast<uint32_t>(*h);
    m.size = static_cast<uint32_t>(*s);
    return m;
}

std::vector<IdMapping> parse_mappings(const Json& obj, const char* key, const std::string& path) {
    std::vector<IdMapping> out;
    const Json* v = member(obj, key);
    if (!v) return out;
    std::string p = child(path, key);
    need_array(*v, p);
    for (size_t i = 0; i < v->size(); ++i) out.push_back(parse_mapping((*v)[i], index(p, i)));
    return out;
}

std::vector<int> parse_cap_set(const Json& obj, const char* key, const std::string& path) {
    std::vector<int> out;
    auto names = get_strings(obj, key, path);
    for (size_t i = 0; i < names.size(); ++i) {
        int c = cap_from_name(names[i]);
        if (c < 0) bad(index(child(path, key), i), "unknown capability \"" + names[i] + "\"");
        if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
    return out;
}

void parse_user(const Json& j, const std::string& path, User& u) {
    need_object(j, path);
    u.uid = static_cast<uint32_t>(get_uint(j, "uid", path, UINT32_MAX).value_or(0));
    u.gid = static_cast<uint32_t>(get_uint(j, "gid", path, UINT32_MAX).value_or(0));
    if (auto m = get_uint(j, "umask", path, 0777)) u.umask = static_cast<mode_t>(*m);
    if (const Json* g = member(j, "additionalGids")) {
        std::string p = child(path, "additionalGids");
        need_array(*g, p);
        for (size_t i = 0; i < g->size(); ++i) {
            const Json& e = (*g)[i];
            if (!e.is_number_integer() || (!e.is_number_unsigned() && e.get<int64_t>() < 0) ||
                e.get<uint64_t>() > UINT32_MAX)
                bad(index(p, i), "must be a group id");
            u.additional_gids.push_back(static_cast<gid_t>(e.get<uint64_t>()));
        }
    }
}

void parse_rlimits(const Json& j, const std::string& path, std::vector<Rlimit>& out) {
    need_array(j, path);
    std::set<std::string> seen;
    for (size_t i = 0; i < j.size(); ++i) {
        std::string p = index(path, i);
        need_object(j[i], p);
        Rlimit r;
        r.type = get_string(j[i], "type", p, true);
        auto it = std::find_if(kRlimits.begin(), kRlimits.end(),
                               [&](const RlimitName& n) { return r.type == n.name; });
        if (it == kRlimits.end()) bad(child(p, "type"), "unknown rlimit \"" + r.type + "\"");
        if (!seen.insert(r.type).second) bad(child(p, "type"), "duplicate rlimit " + r.type);
        r.resource = it->resource;
        auto soft = get_uint(j[i], "soft", p);
        auto hard = get_uint(j[i], "hard", p);
        if (!soft) bad(child(p, "soft"), "is required");
        if (!hard) bad(child(p, "hard"), "is required");
        if (*soft > *hard) bad(p, "soft limit is greater than the hard limit");
        r.soft = *soft;
        r.hard = *hard;
        out.push_back(r);
    }
}

void parse_scheduler(const Json& j, const std::string& path, Scheduler& s) {
    need_object(j, path);
    static const std::map<std::string, int> policies = {
        {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO},   {"SCHED_RR", SCHED_RR},
        {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_ISO", 4},             {"SCHED_IDLE", SCHED_IDLE},
        {"SCHED_DEADLINE", SCHED_DEADLINE}};
    std::string pol = get_string(j, "policy", path, true);
    auto it = policies.find(pol);
    if (it == policies.end()) bad(child(path, "policy"), "unknown policy \"" + pol + "\"");
    if (pol == "SCHED_ISO") bad(child(path, "policy"), "SCHED_ISO is not implemented by Linux");
    s.policy = it->second;
    if (auto n = get_int(j, "nice", path)) {
        if (*n < -20 || *n > 19) bad(child(path, "nice"), "must be between -20 and 19");
        s.nice = static_cast<int>(*n);
    }
    if (auto p = get_int(j, "priority", path)) s.priority = static_cast<int>(*p);
    static const std::map<std::string, uint64_t> flags = {
        {"SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK},
        {"SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM},
        {"SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN},
        {"SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY},
        {"SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS},
        {"SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX}};
    auto fl = get_strings(j, "flags", path);
    for (size_t i = 0; i < fl.size(); ++i) {
        auto f = flags.find(fl[i]);
        if (f == flags.end()) bad(index(child(path, "flags"), i), "unknown flag \"" + fl[i] + "\"");
        s.flags |= f->second;
    }
    s.runtime = get_uint(j, "runtime", path).value_or(0);
    s.deadline = get_uint(j, "deadline", path).value_or(0);
    s.period = get_uint(j, "period", path).value_or(0);
}

Hook parse_hook(const Json& j, const std::string& path) {
    need_object(j, path);
    Hook h;
    h.path = get_string(j, "path", path, true);
    if (!is_absolute(h.path)) bad(child(path, "path"), "must be an absolute path");
    h.args = get_strings(j, "args", path);
    h.env = get_strings(j, "env", path);
    if (const Json* t = member(j, "timeout")) {
        if (!t->is_number_integer() || t->get<int64_t>() <= 0)
            bad(child(path, "timeout"), "must be a positive integer");
        h.timeout = static_cast<int>(std::min<int64_t>(t->get<int64_t>(), INT32_MAX));
    }
    return h;
}

void parse_hooks(const Json& j, const std::string& path, Hooks& hooks) {
    need_object(j, path);
    auto list = [&](const char* key, std::vector<Hook>& out) {
        const Json* v = member(j, key);
        if (!v) return;
        std::string p = child(path, key);
        need_array(*v, p);
        for (size_t i = 0; i < v->size(); ++i) out.push_back(parse_hook((*v)[i], index(p, i)));
    };
    list("prestart", hooks.prestart);
    list("createRuntime", hooks.create_runtime);
    list("createContainer", hooks.create_container);
    list("startContainer", hooks.start_container);
    list("poststart", hooks.poststart);
    list("poststop", hooks.poststop);
}

Mount parse_mount(const Json& j, const std::string& path) {
    need_object(j, path);
    Mount m;
    m.destination = get_string(j, "destination", path, true);
    if (!is_absolute(m.destination)) bad(child(path, "destination"), "must be an absolute path");
    m.type = get_string(j, "type", path);
    m.source = get_string(j, "source", path);
    m.options = get_strings(j, "options", path);
    if (member(j, "uidMappings") || member(j, "gidMappings"))
        bad(path, "id-mapped mounts (uidMappings/gidMappings) are not supported by this runtime");
    bool bind = m.type == "bind" ||
                std::any_of(m.options.begin(), m.options.end(),
                            [](const std::string& o) { return o == "bind" || o == "rbind"; });
    if (m.type.empty() && !bind) bad(child(path, "type"), "is required unless the mount is a bind mount");
    if (bind && m.source.empty()) bad(child(path, "source"), "is required for a bind mount");
    return m;
}

void parse_namespaces(const Json& j, const std::string& path, std::vector<Namespace>& out) {
    need_array(j, path);
    static const std::map<std::string, NsType> types = {
        {"user", NsType::user}, {"mount", NsType::mount}, {"pid", NsType::pid},
        {"ipc", NsType::ipc},   {"uts", NsType::uts},     {"network", NsType::net},
        {"cgroup", NsType::cgroup}, {"time", NsType::time}};
    for (size_t i = 0; i < j.size(); ++i) {
        std::string p = index(path, i);
        need_object(j[i], p);
        std::string t = get_string(j[i], "type", p, true);
        auto it = types.find(t);
        if (it == types.end()) bad(child(p, "type"), "unknown namespace type \"" + t + "\"");
        Namespace ns{it->second, get_string(j[i], "path", p)};
        if (!ns.path.empty() && !is_absolute(ns.path))
            bad(child(p, "path"), "must be an absolute path");
        for (auto& prev : out)
            if (prev.type == ns.type) bad(child(p, "type"), "duplicate namespace \"" + t + "\"");
        out.push_back(ns);
    }
}

Device parse_device(const Json& j, const std::string& path) {
    need_object(j, path);
    Device d;
    std::string t = get_string(j, "type", path, true);
    if (t.size() != 1 || std::string("cbup").find(t[0]) == std::string::npos)
        bad(child(path, "type"), "must be one of c, b, u, p");
    d.type = t[0];
    d.path = get_string(j, "path", path, true);
    if (!is_absolute(d.path)) bad(child(path, "path"), "must be an absolute path");
    auto maj = get_int(j, "major", path);
    auto min = get_int(j, "minor", path);
    if (d.type != 'p') {
        if (!maj) bad(child(path, "major"), "is required for device type " + t);
        if (!min) bad(child(path, "minor"), "is required for device type " + t);
    }
    d.major = maj.value_or(0);
    d.minor = min.value_or(0);
    if (auto m = get_uint(j, "fileMode", path, 07777)) d.file_mode = static_cast<mode_t>(*m);
    if (auto u = get_uint(j, "uid", path, UINT32_MAX)) d.uid = static_cast<uid_t>(*u);
    if (auto g = get_uint(j, "gid", path, UINT32_MAX)) d.gid = static_cast<gid_t>(*g);
    return d;
}

void parse_resources(const Json& j, const std::string& path, Resources& r) {
    need_object(j, path);
    if (const Json* d = member(j, "devices")) {
        std::string p = child(path, "devices");
        need_array(*d, p);
        for (size_t i = 0; i < d->size(); ++i) {
            std::string q = index(p, i);
            const Json& e = (*d)[i];
            need_object(e, q);
            DeviceRule rule;
            const Json* allow = member(e, "allow");
            if (!allow) bad(child(q, "allow"), "is required");
            rule.allow = get_bool(e, "allow", q);
            std::string t = get_string(e, "type", q);
            if (t.empty()) t = "a";
            if (t != "a" && t != "c" && t != "b") bad(child(q, "type"), "must be one of a, c, b");
            rule.type = t[0];
            rule.major = get_int(e, "major", q);
            rule.minor = get_int(e, "minor", q);
            rule.access = get_string(e, "access", q);
            if (rule.access.empty()) rule.access = "rwm";
            for (char c : rule.access)
                if (c != 'r' && c != 'w' && c != 'm')
                    bad(child(q, "access"), "must be a combination of r, w and m");
            r.devices.push_back(rule);
        }
    }
    if (const Json* m = member(j, "memory")) {
        std::string p = child(path, "memory");
        need_object(*m, p);
        r.memory_limit = get_int(*m, "limit", p);
        r.memory_reservation = get_int(*m, "reservation", p);
        r.memory_swap = get_int(*m, "swap", p);
        r.memory_kernel = get_int(*m, "kernel", p);
        r.memory_kernel_tcp = get_int(*m, "kernelTCP", p);
        r.memory_swappiness = get_uint(*m, "swappiness", p);
        if (r.memory_swappiness && *r.memory_swappiness > 100)
            bad(child(p, "swappiness"), "must be between 0 and 100");
        r.memory_disable_oom_killer = get_opt_bool(*m, "disableOOMKiller", p);
        r.memory_use_hierarchy = get_opt_bool(*m, "useHierarchy", p);
        if (r.memory_limit && r.memory_swap && *r.memory_swap > 0 && *r.memory_limit > 0 &&
            *r.memory_swap < *r.memory_limit)
            bad(child(p, "swap"), "must not be smaller than memory.limit (it counts memory plus swap)");
    }
    if (const Json* c = member(j, "cpu")) {
        std::string p = child(path, "cpu");
        need_object(*c, p);
        r.cpu_shares = get_uint(*c, "shares", p);
        r.cpu_quota = get_int(*c, "quota", p);
        r.cpu_burst = get_uint(*c, "burst", p);
        r.cpu_period = get_uint(*c, "period", p);
        r.cpu_realtime_runtime = get_int(*c, "realtimeRuntime", p);
        r.cpu_realtime_period = get_uint(*c, "realtimePeriod", p);
        r.cpu_cpus = get_string(*c, "cpus", p);
        r.cpu_mems = get_string(*c, "mems", p);
        r.cpu_idle = get_int(*c, "idle", p);
    }
    if (const Json* pd = member(j, "pids")) {
        std::string p = child(path, "pids");
        need_object(*pd, p);
        r.pids_limit = get_int(*pd, "limit", p);
    }
    if (const Json* b = member(j, "blockIO")) {
        std::string p = child(path, "blockIO");
        need_object(*b, p);
        if (auto w = get_uint(*b, "weight", p, 1000)) r.blkio_weight = static_cast<uint16_t>(*w);
        if (auto w = get_uint(*b, "leafWeight", p, 1000))
            r.blkio_leaf_weight = static_cast<uint16_t>(*w);
        if (const Json* wd = member(*b, "weightDevice")) {
            std::string q = child(p, "weightDevice");
            need_array(*wd, q);
            for (size_t i = 0; i < wd->size(); ++i) {
                std::string e = index(q, i);
                need_object((*wd)[i], e);
                WeightDevice d;
                d.major = get_int((*wd)[i], "major", e).value_or(0);
                d.minor = get_int((*wd)[i], "minor", e).value_or(0);
                if (auto w = get_uint((*wd)[i], "weight", e, 1000)) d.weight = static_cast<uint16_t>(*w);
                if (auto w = get_uint((*wd)[i], "leafWeight", e, 1000))
                    d.leaf_weight = static_cast<uint16_t>(*w);
                r.blkio_weight_device.push_back(d);
            }
        }
        auto throttle = [&](const char* key, std::vector<ThrottleDevice>& out) {
            const Json* t = member(*b, key);
            if (!t) return;
            std::string q = child(p, key);
            need_array(*t, q);
            for (size_t i = 0; i < t->size(); ++i) {
                std::string e = index(q, i);
                need_object((*t)[i], e);
                ThrottleDevice d;
                d.major = get_int((*t)[i], "major", e).value_or(0);
                d.minor = get_int((*t)[i], "minor", e).value_or(0);
                auto rate = get_uint((*t)[i], "rate", e);
                if (!rate) bad(child(e, "rate"), "is required");
                d.rate = *rate;
                out.push_back(d);
            }
        };
        throttle("throttleReadBpsDevice", r.blkio_throttle_read_bps);
        throttle("throttleWriteBpsDevice", r.blkio_throttle_write_bps);
        throttle("throttleReadIOPSDevice", r.blkio_throttle_read_iops);
        throttle("throttleWriteIOPSDevice", r.blkio_throttle_write_iops);
    }
    if (const Json* h = member(j, "hugepageLimits")) {
        std::string p = child(path, "hugepageLimits");
        need_array(*h, p);
        for (size_t i = 0; i < h->size(); ++i) {
            std::string e = index(p, i);
            need_object((*h)[i], e);
            std::string size = get_string((*h)[i], "pageSize", e, true);
            auto limit = get_uint((*h)[i], "limit", e);
            if (!limit) bad(child(e, "limit"), "is required");
            r.hugepage_limits.emplace_back(size, *limit);
        }
    }
    r.unified = get_string_map(j, "unified", path);
    for (auto& [k, v] : r.unified)
        if (k.find('/') != std::string::npos || k.empty() || k[0] == '.')
            bad(child(child(path, "unified"), k), "is not a cgroup file name");
    if (const Json* n = member(j, "network")) {
        need_object(*n, child(path, "network"));
        r.network_requested = !n->empty();
    }
    if (const Json* n = member(j, "rdma")) {
        need_object(*n, child(path, "rdma"));
        r.rdma_requested = !n->empty();
    }
}

void parse_seccomp(const Json& j, const std::string& path, Seccomp& s) {
    need_object(j, path);
    s.default_action = get_string(j, "defaultAction", path, true);
    if (!seccomp_actions().count(s.default_action))
        bad(child(path, "defaultAction"), "unknown action \"" + s.default_action + "\"");
    if (auto e = get_uint(j, "defaultErrnoRet", path, 4095))
        s.default_errno_ret = static_cast<unsigned>(*e);
    s.architectures = get_strings(j, "architectures", path);
    for (size_t i = 0; i < s.architectures.size(); ++i)
        if (!seccomp_archs().count(s.architectures[i]))
            bad(index(child(path, "architectures"), i),
                "unknown architecture \"" + s.architectures[i] + "\"");
    s.flags = get_strings(j, "flags", path);
    for (size_t i = 0; i < s.flags.size(); ++i)
        if (!seccomp_flags().count(s.flags[i]))
            bad(index(child(path, "flags"), i), "unknown flag \"" + s.flags[i] + "\"");
    s.listener_path = get_string(j, "listenerPath", path);
    s.listener_metadata = get_string(j, "listenerMetadata", path);
    if (!s.listener_path.empty() && !is_absolute(s.listener_path))
        bad(child(path, "listenerPath"), "must be an absolute path");
    bool uses_notify = s.default_action == "SCMP_ACT_NOTIFY";
    if (const Json* sc = member(j, "syscalls")) {
        std::string p = child(path, "syscalls");
        need_array(*sc, p);
        for (size_t i = 0; i < sc->size(); ++i) {
            std::string e = index(p, i);
            need_object((*sc)[i], e);
            SeccompSyscall call;
            call.names = get_strings((*sc)[i], "names", e);
            if (call.names.empty()) bad(child(e, "names"), "must be a non-empty array");
            call.action = get_string((*sc)[i], "action", e, true);
            if (!seccomp_actions().count(call.action))
                bad(child(e, "action"), "unknown action \"" + call.action + "\"");
            uses_notify = uses_notify || call.action == "SCMP_ACT_NOTIFY";
            if (auto r = get_uint((*sc)[i], "errnoRet", e, 4095)) {
                if (call.action != "SCMP_ACT_ERRNO" && call.action != "SCMP_ACT_TRACE")
                    bad(child(e, "errnoRet"), "is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
                call.errno_ret = static_cast<unsigned>(*r);
            }
            if (const Json* args = member((*sc)[i], "args")) {
                std::string q = child(e, "args");
                need_array(*args, q);
                for (size_t k = 0; k < args->size(); ++k) {
                    std::string a = index(q, k);
                    need_object((*args)[k], a);
                    SeccompArg arg;
                    auto idx = get_uint((*args)[k], "index", a, 5);
                    if (!idx) bad(child(a, "index"), "is required");
                    arg.index = static_cast<unsigned>(*idx);
                    arg.value = get_uint((*args)[k], "value", a).value_or(0);
                    arg.value_two = get_uint((*args)[k], "valueTwo", a).value_or(0);
                    arg.op = get_string((*args)[k], "op", a, true);
                    if (!seccomp_ops().count(arg.op))
                        bad(child(a, "op"), "unknown operator \"" + arg.op + "\"");
                    call.args.push_back(arg);
                }
            }
            s.syscalls.push_back(std::move(call));
        }
    }
    if (uses_notify && s.listener_path.empty())
        bad(child(path, "listenerPath"), "is required when SCMP_ACT_NOTIFY is used");
}

// Sysctls a container may set must belong to a namespace it owns; others
// would change the host. Same rules as the kernel documents and runc applies.
void validate_sysctls(const Linux& l, const std::string& path) {
    bool ipc = l.find_ns(NsType::ipc) != nullptr;
    bool net = l.find_ns(NsType::net) != nullptr;
    bool uts = l.find_ns(NsType::uts) != nullptr;
    static const std::set<std::string> ipc_keys = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
        "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (auto& [k, v] : l.sysctl) {
        std::string p = child(path, k);
        if (k.find("..") != std::string::npos || k.find('/') == 0)
            bad(p, "is not a sysctl name");
        if (ipc_keys.count(k) || k.rfind("fs.mqueue.", 0) == 0) {
            if (!ipc) bad(p, "requires an ipc namespace");
        } else if (k.rfind("net.", 0) == 0) {
            if (!net) bad(p, "requires a network namespace");
        } else if (k == "kernel.hostname" || k == "kernel.domainname") {
            if (!uts) bad(p, "requires a uts namespace");
        } else {
            bad(p, "is not namespaced and would change the host");
        }
    }
}

void parse_linux(const Json& j, const std::string& path, Linux& l) {
    need_object(j, path);
    if (const Json* n = member(j, "namespaces")) parse_namespaces(*n, child(path, "namespaces"), l.namespaces);
    l.uid_mappings = parse_mappings(j, "uidMappings", path);
    l.gid_mappings = parse_mappings(j, "gidMappings", path);
    if (const Json* t = member(j, "timeOffsets")) {
        std::string p = child(path, "timeOffsets");
        need_object(*t, p);
        for (auto& [clock, off] : t->items()) {
            std::string q = child(p, clock);
            need_object(off, q);
            TimeOffset o;
            o.secs = get_int(off, "secs", q).value_or(0);
            o.nanosecs = static_cast<uint32_t>(get_uint(off, "nanosecs", q, 999999999).value_or(0));
            if (clock == "monotonic") l.time_monotonic = o;
            else if (clock == "boottime") l.time_boottime = o;
            else bad(q, "unknown clock (expected monotonic or boottime)");
        }
    }
    if (const Json* d = member(j, "devices")) {
        std::string p = child(path, "devices");
        need_array(*d, p);
        for (size_t i = 0; i < d->size(); ++i) l.devices.push_back(parse_device((*d)[i], index(p, i)));
    }
    l.cgroups_path = get_string(j, "cgroupsPath", path);
    if (const Json* r = member(j, "resources")) {
        l.resources.emplace();
        parse_resources(*r, child(path, "resources"), *l.resources);
    }
    l.sysctl = get_string_map(j, "sysctl", path);
    if (const Json* s = member(j, "seccomp")) {
        l.seccomp.emplace();
        parse_seccomp(*s, child(path, "seccomp"), *l.seccomp);
    }
    l.rootfs_propagation = get_string(j, "rootfsPropagation", path);
    static const std::set<std::string> props = {"",      "private", "rprivate",   "slave",
                                                "rslave", "shared", "rshared",    "unbindable",
                                                "runbindable"};
    if (!props.count(l.rootfs_propagation))
        bad(child(path, "rootfsPropagation"), "unknown propagation \"" + l.rootfs_propagation + "\"");
    l.masked_paths = get_strings(j, "maskedPaths", path);
    l.readonly_paths = get_strings(j, "readonlyPaths", path);
    for (size_t i = 0; i < l.masked_paths.size(); ++i)
        if (!is_absolute(l.masked_paths[i]))
            bad(index(child(path, "maskedPaths"), i), "must be an absolute path");
    for (size_t i = 0; i < l.readonly_paths.size(); ++i)
        if (!is_absolute(l.readonly_paths[i]))
            bad(index(child(path, "readonlyPaths"), i), "must be an absolute path");
    l.mount_label = get_string(j, "mountLabel", path);
    if (const Json* p = member(j, "personality")) {
        std::string q = child(path, "personality");
        need_object(*p, q);
        std::string dom = get_string(*p, "domain", q, true);
        if (dom == "LINUX") l.personality = PER_LINUX;
        else if (dom == "LINUX32") l.personality = PER_LINUX32;
        else bad(child(q, "domain"), "must be LINUX or LINUX32");
        if (!get_strings(*p, "flags", q).empty())
            bad(child(q, "flags"), "personality flags are not supported");
    }
    if (const Json* rdt = member(j, "intelRdt"); rdt && !rdt->empty())
        bad(child(path, "intelRdt"), "Intel RDT is not supported by this runtime");
}

void validate(Spec& s) {
    Linux& l = s.linux;
    const Namespace* user = l.find_ns(NsType::user);
    bool new_user = user && user->path.empty();
    if (new_user) {
        if (l.uid_mappings.empty())
            bad("linux.uidMappings", "is required when a new user namespace is created");
        if (l.gid_mappings.empty())
            bad("linux.gidMappings", "is required when a new user namespace is created");
    } else if (!l.uid_mappings.empty() || !l.gid_mappings.empty()) {
        bad(l.uid_mappings.empty() ? "linux.gidMappings" : "linux.uidMappings",
            user ? "must not be set when joining an existing user namespace"
                 : "requires a new user namespace in linux.namespaces");
    }
    if (const Namespace* m = l.find_ns(NsType::mount); m && !m->path.empty())
        bad("linux.namespaces", "joining an existing mount namespace is not supported");
    if (!l.find_ns(NsType::mount) && (!s.mounts.empty()))
        bad("linux.namespaces", "mounts require a mount namespace");
    if (!s.hostname.empty() && !l.has_new_ns(NsType::uts))
        bad("hostname", "requires a new uts namespace");
    if (!s.domainname.empty() && !l.has_new_ns(NsType::uts))
        bad("domainname", "requires a new uts namespace");
    if ((l.time_monotonic || l.time_boottime) && !l.has_new_ns(NsType::time))
        bad("linux.timeOffsets", "requires a new time namespace");
    validate_sysctls(l, "linux.sysctl");
}

}  // namespace

bool Resources::has_limits() const {
    return memory_limit || memory_reservation || memory_swap || memory_kernel_tcp ||
           memory_swappiness || memory_disable_oom_killer || cpu_shares || cpu_period ||
           cpu_burst || cpu_realtime_period || cpu_quota || cpu_realtime_runtime || cpu_idle ||
           !cpu_cpus.empty() || !cpu_mems.empty() || pids_limit || blkio_weight ||
           blkio_leaf_weight || !blkio_weight_device.empty() ||
           !blkio_throttle_read_bps.empty() || !blkio_throttle_write_bps.empty() ||
           !blkio_throttle_read_iops.empty() || !blkio_throttle_write_iops.empty() ||
           !hugepage_limits.empty() || !unified.empty();
}

const Namespace* Linux::find_ns(NsType t) const {
    for (auto& n : namespaces)
        if (n.type == t) return &n;
    return nullptr;
}

Process parse_process(const Json& j, const std::string& path) {
    need_object(j, path);
    Process p;
    p.terminal = get_bool(j, "terminal", path);
    if (const Json* cs = member(j, "consoleSize")) {
        std::string q = child(path, "consoleSize");
        need_object(*cs, q);
        auto h = get_uint(*cs, "height", q, UINT16_MAX);
        auto w = get_uint(*cs, "width", q, UINT16_MAX);
        if (!h) bad(child(q, "height"), "is required");
        if (!w) bad(child(q, "width"), "is required");
        p.console_size = {static_cast<unsigned>(*h), static_cast<unsigned>(*w)};
    }
    if (const Json* u = member(j, "user")) parse_user(*u, child(path, "user"), p.user);
    const Json* args = member(j, "args");
    if (!args || !args->is_array() || args->empty())
        bad(child(path, "args"), "must be a non-empty array");
    p.args = get_strings(j, "args", path);
    if (p.args[0].empty()) bad(child(path, "args") + "[0]", "must not be empty");
    p.env = get_strings(j, "env", path);
    for (size_t i = 0; i < p.env.size(); ++i)
        if (p.env[i].find('=') == std::string::npos || p.env[i][0] == '=')
            bad(index(child(path, "env"), i), "\"" + p.env[i] + "\" is not KEY=VALUE");
    p.cwd = get_string(j, "cwd", path, true);
    if (!is_absolute(p.cwd)) bad(child(path, "cwd"), "must be an absolute path");
    if (const Json* c = member(j, "capabilities")) {
        std::string q = child(path, "capabilities");
        need_object(*c, q);
        Capabilities caps;
        caps.bounding = parse_cap_set(*c, "bounding", q);
        caps.effective = parse_cap_set(*c, "effective", q);
        caps.inheritable = parse_cap_set(*c, "inheritable", q);
        caps.permitted = parse_cap_set(*c, "permitted", q);
        caps.ambient = parse_cap_set(*c, "ambient", q);
        p.capabilities = std::move(caps);
    }
    if (const Json* r = member(j, "rlimits")) parse_rlimits(*r, child(path, "rlimits"), p.rlimits);
    p.no_new_privileges = get_bool(j, "noNewPrivileges", path);
    p.apparmor_profile = get_string(j, "apparmorProfile", path);
    p.selinux_label = get_string(j, "selinuxLabel", path);
    if (auto o = get_int(j, "oomScoreAdj", path)) {
        if (*o < -1000 || *o > 1000) bad(child(path, "oomScoreAdj"), "must be between -1000 and 1000");
        p.oom_score_adj = static_cast<int>(*o);
    }
    if (const Json* io = member(j, "ioPriority")) {
        std::string q = child(path, "ioPriority");
        need_object(*io, q);
        std::string cls = get_string(*io, "class", q, true);
        IoPriority pr;
        if (cls == "IOPRIO_CLASS_RT") pr.klass = 1;
        else if (cls == "IOPRIO_CLASS_BE") pr.klass = 2;
        else if (cls == "IOPRIO_CLASS_IDLE") pr.klass = 3;
        else bad(child(q, "class"), "unknown class \"" + cls + "\"");
        pr.priority = static_cast<int>(get_uint(*io, "priority", q, 7).value_or(0));
        p.io_priority = pr;
    }
    if (const Json* s = member(j, "scheduler")) {
        p.scheduler.emplace();
        parse_scheduler(*s, child(path, "scheduler"), *p.scheduler);
    }
    if (const Json* a = member(j, "execCPUAffinity")) {
        std::string q = child(path, "execCPUAffinity");
        need_object(*a, q);
        p.cpu_affinity_initial = get_string(*a, "initial", q);
        p.cpu_affinity_final = get_string(*a, "final", q);
    }
    return p;
}

Spec parse_spec(const Json& j) {
    if (!j.is_object()) throw Error("config.json: must be a JSON object");
    Spec s;
    s.oci_version = get_string(j, "ociVersion", "", true);
    if (s.oci_version.rfind("1.", 0) != 0)
        bad("ociVersion", "\"" + s.oci_version + "\" is not supported (this runtime implements " +
                              kOciVersionMin + " to " + kOciVersionMax + ")");
    const Json* root = member(j, "root");
    if (!root) bad("root", "is required");
    need_object(*root, "root");
    s.root_path = get_string(*root, "path", "root", true);
    if (s.root_path.empty()) bad("root.path", "must not be empty");
    s.root_readonly = get_bool(*root, "readonly", "root");
    if (const Json* p = member(j, "process")) s.process = parse_process(*p, "process");
    s.hostname = get_string(j, "hostname", "");
    s.domainname = get_string(j, "domainname", "");
    if (const Json* m = member(j, "mounts")) {
        need_array(*m, "mounts");
        for (size_t i = 0; i < m->size(); ++i) s.mounts.push_back(parse_mount((*m)[i], index("mounts", i)));
    }
    if (const Json* h = member(j, "hooks")) parse_hooks(*h, "hooks", s.hooks);
    s.annotations = get_string_map(j, "annotations", "");
    if (const Json* l = member(j, "linux")) parse_linux(*l, "linux", s.linux);
    validate(s);
    return s;
}

Spec load_spec(const std::string& bundle) {
    std::string path = fs::join(bundle, "config.json");
    auto text = fs::read_file_if_exists(path);
    if (!text) throw Error("open " + path + ": no such file (is --bundle right?)");
    Json j;
    try {
        j = Json::parse(*text);
    } catch (const Json::parse_error& e) {
        throw Error("config.json: invalid JSON: " + std::string(e.what()));
    }
    return parse_spec(j);
}

const char* ns_name(NsType t) {
    switch (t) {
        case NsType::user: return "user";
        case NsType::mount: return "mount";
        case NsType::pid: return "pid";
        case NsType::ipc: return "ipc";
        case NsType::uts: return "uts";
        case NsType::net: return "network";
        case NsType::cgroup: return "cgroup";
        case NsType::time: return "time";
    }
    return "?";
}

int ns_clone_flag(NsType t) {
    switch (t) {
        case NsType::user: return CLONE_NEWUSER;
        case NsType::mount: return CLONE_NEWNS;
        case NsType::pid: return CLONE_NEWPID;
        case NsType::ipc: return CLONE_NEWIPC;
        case NsType::uts: return CLONE_NEWUTS;
        case NsType::net: return CLONE_NEWNET;
        case NsType::cgroup: return CLONE_NEWCGROUP;
        case NsType::time: return CLONE_NEWTIME;
    }
    return 0;
}

int cap_from_name(const std::string& name) {
    for (size_t i = 0; i < kCapNames.size(); ++i)
        if (name == kCapNames[i]) return static_cast<int>(i);
    return -1;
}

std::vector<std::string> all_cap_names() { return {kCapNames.begin(), kCapNames.end()}; }

std::vector<std::string> rlimit_names() {
    std::vector<std::string> out;
    for (auto& r : kRlimits) out.push_back(r.name);
    return out;
}

}  // namespace skiff::oci
