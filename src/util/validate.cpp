#include "util/validate.hpp"

#include <arpa/inet.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::validate {

namespace {

// Linux's limits for a path handed to the kernel (with its NUL).
constexpr size_t kPathMax = 4096;
constexpr size_t kNameMax = 255;
constexpr size_t kHostNameMax = 64;

[[noreturn]] void bad(std::string_view what, std::string_view value, const std::string& why) {
    throw Error("invalid " + std::string(what) + " " + shown(value) + ": " + why);
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Docker's messages show some values bare ("invalid signal: SIGFOO"):
// bare when that keeps the line short and whole, quoted and escaped if not.
std::string plain(std::string_view value) {
    return has_control(value) || value.size() > 64 ? shown(value) : std::string(value);
}

// Lexically cleaned absolute path, as Go's path.Clean.
std::string clean_path(std::string_view p) {
    std::vector<std::string> parts;
    for (auto& c : str::split(p, '/')) {
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(c);
    }
    return "/" + str::join(parts, "/");
}

// tmpfs's size-like values: a number with an optional k, m, g, t, p or e
// (the kernel's memparse), or a percentage (of RAM, for size=).
bool memparse_value(std::string_view v, bool percent_ok) {
    if (v.empty()) return false;
    char last = v.back();
    if (percent_ok && last == '%') return all_digits(v.substr(0, v.size() - 1));
    if (std::string_view("kKmMgGtTpPeE").find(last) != std::string_view::npos) v.remove_suffix(1);
    return all_digits(v);
}

}  // namespace

std::string shown(std::string_view value) {
    constexpr size_t kMax = 64;
    std::string out = "\"";
    for (char c : value.substr(0, kMax)) {
        // Escaped as Go's %q would: a control character never breaks the line.
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (has_control(std::string_view(&c, 1))) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
            out += hex;
        } else out += c;
    }
    if (value.size() <= kMax) return out + "\"";
    return out + "…\" (" + std::to_string(value.size()) + " characters)";
}

bool boolean(std::string_view value, std::string_view what) {
    for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
        if (value == t) return true;
    for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
        if (value == f) return false;
    bad(what, value, "expected true or false");
}

int64_t integer(std::string_view value, std::string_view what, int64_t min, int64_t max) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec == std::errc::invalid_argument || end != value.data() + value.size())
        bad(what, value, "not an integer");
    if (ec == std::errc::result_out_of_range || n < min || n > max)
        bad(what, value, "out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
    return n;
}

double decimal(std::string_view value, std::string_view what) {
    // Digits, one '.', an exponent: nothing strtod would read as nan, inf
    // or hex.
    size_t i = 0, digits = 0;
    while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i, ++digits;
    if (i < value.size() && value[i] == '.')
        for (++i; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i) ++digits;
    if (digits > 0 && i < value.size() && (value[i] == 'e' || value[i] == 'E')) {
        ++i;
        if (i < value.size() && (value[i] == '+' || value[i] == '-')) ++i;
        size_t start = i;
        while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
        if (i == start) digits = 0;
    }
    if (digits == 0 || i != value.size()) bad(what, value, "not a non-negative decimal number");
    std::string text(value);
    double d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(d)) bad(what, value, "out of range");
    return d;
}

double cpus(std::string_view value, unsigned host_cpus) {
    double n = decimal(value, "--cpus");
    // Docker's message, with its two decimals.
    if (n != 0 && (n < 0.01 || n > host_cpus))
        throw Error("invalid --cpus " + shown(value) + ": range of CPUs is from 0.01 to " + std::to_string(host_cpus) +
                    ".00, as there are only " + std::to_string(host_cpus) + " CPUs available");
    return n;
}

uint32_t id(std::string_view value, std::string_view what) {
    return static_cast<uint32_t>(integer(value, what, 0, 4294967294LL));
}

void user(std::string_view spec) {
    auto [u, g] = str::split_once(spec, ':');
    if (spec.find(':') != std::string_view::npos && (u.empty() || g.empty()))
        bad("--user", spec, "expected NAME|UID[:GROUP|GID]");
    if (has_control(spec) || spec.find_first_of(" \t") != std::string_view::npos)
        bad("--user", spec, "a name has no spaces or control characters");
    if (all_digits(u)) id(u, "--user");
    if (all_digits(g)) id(g, "--user");
}

int signal(std::string_view value) {
    // Docker's words; the value quoted only when it needs escaping.
    auto refuse = [&]() -> int {
        throw Error("invalid signal: " + plain(value));
    };
    if (all_digits(value)) {
        if (value.size() > 3) refuse();
        int n = static_cast<int>(integer(value, "signal", 0, 999));
        if (n <= 0 || n >= NSIG) refuse();
        return n;
    }
    std::string s = str::upper(value);
    if (s.rfind("SIG", 0) == 0) s.erase(0, 3);
    if (s.empty()) refuse();
    for (int i = 1; i < SIGRTMIN; ++i) {
        const char* abbrev = sigabbrev_np(i);
        if (abbrev && s == abbrev) return i;
    }
    // Aliases Docker's table has beside the canonical names.
    if (s == "IOT") return SIGABRT;
    if (s == "CLD") return SIGCHLD;
    if (s == "POLL") return SIGIO;
    // RTMIN, RTMIN+N, RTMAX-N, RTMAX: glibc's real-time range.
    for (bool min : {true, false}) {
        std::string_view base = min ? "RTMIN" : "RTMAX";
        if (s.rfind(base, 0) != 0) continue;
        std::string_view rest = std::string_view(s).substr(base.size());
        int origin = min ? SIGRTMIN : SIGRTMAX;
        if (rest.empty()) return origin;
        if (rest[0] != (min ? '+' : '-') || rest.size() > 3 || !all_digits(rest.substr(1))) refuse();
        int off = std::atoi(std::string(rest.substr(1)).c_str());
        int n = min ? origin + off : origin - off;
        if (n < SIGRTMIN || n > SIGRTMAX) refuse();
        return n;
    }
    return refuse();
}

bool is_ip(std::string_view value) {
    std::string s(value);
    unsigned char buf[16];
    return !s.empty() && (::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1);
}

std::string ip(std::string_view value, std::string_view flag) {
    if (!is_ip(value)) bad(flag, value, "not an IP address");
    return std::string(value);
}

std::string extra_host(std::string_view value) {
    // Docker 25: '=' first (an IPv6 address has colons), then ':'.
    auto sep = value.find('=');
    if (sep == std::string_view::npos) sep = value.find(':');
    if (sep == std::string_view::npos || sep == 0)
        bad("--add-host", value, "expected HOST:IP (or HOST=IP)");
    std::string_view host = value.substr(0, sep), addr = value.substr(sep + 1);
    if (host.find(':') != std::string_view::npos) bad("--add-host", value, "a host name has no ':'");
    if (has_control(value) || host.find_first_of(" \t") != std::string_view::npos)
        bad("--add-host", value, "a host name has no spaces or control characters");
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    if (addr != "host-gateway" && !is_ip(addr))
        bad("--add-host", value, "\"" + std::string(addr) + "\" is not an IP address (nor host-gateway)");
    return std::string(host) + ":" + std::string(addr);
}

std::string dns_search(std::string_view value) {
    if (value == ".") return ".";
    std::string_view d = value;
    if (!d.empty() && d.back() == '.') d.remove_suffix(1);
    auto label_ok = [](std::string_view l) {
        if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
        return std::all_of(l.begin(), l.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
    };
    bool ok = !d.empty() && d.size() <= 255;
    for (auto& l : str::split(d, '.')) ok = ok && label_ok(l);
    if (!ok) bad("--dns-search", value, "not a valid domain");
    return std::string(value);
}

void printable(std::string_view value, std::string_view flag) {
    if (has_control(value)) bad(flag, value, "control characters (such as a newline) are not allowed");
}

const std::vector<std::string>& capability_names() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
    return caps;
}

std::string capability(std::string_view value, std::string_view flag) {
    std::string c = str::upper(value);
    if (c == "ALL") return c;
    if (c.rfind("CAP_", 0) != 0) c = "CAP_" + c;
    auto& all = capability_names();
    if (std::find(all.begin(), all.end(), c) == all.end())
        throw Error("invalid " + std::string(flag) + " " + shown(value) + ": unknown capability: " + shown(c));
    return c;
}

std::string hostname(std::string_view value) {
    if (value.empty()) bad("--hostname", value, "empty");
    if (value.size() > kHostNameMax)
        bad("--hostname", value, "longer than " + std::to_string(kHostNameMax) + " characters (the kernel's limit)");
    if (has_control(value) || value.find_first_of(" \t") != std::string_view::npos)
        bad("--hostname", value, "no spaces or control characters");
    return std::string(value);
}

std::string container_path(std::string_view value, std::string_view what) {
    if (value.empty() || value[0] != '/') bad(what, value, "the path must be absolute");
    if (has_control(value)) bad(what, value, "control characters are not allowed");
    std::string p = clean_path(value);
    if (p.size() >= kPathMax) bad(what, value, "longer than " + std::to_string(kPathMax - 1) + " characters");
    for (auto& c : str::split(p, '/'))
        if (c.size() > kNameMax)
            bad(what, value, "a component is longer than " + std::to_string(kNameMax) + " characters");
    return p;
}

std::string mount_destination(std::string_view value, std::string_view what) {
    std::string p = container_path(value, what);
    if (p == "/") bad(what, value, "destination can't be '/'");
    // The files lxcfs mounts over procfs, which runc lets through too.
    static const std::set<std::string> lxcfs = {"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
                                                "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
                                                "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"};
    if ((p == "/proc" || p.rfind("/proc/", 0) == 0) && !lxcfs.count(p))
        bad(what, value, "destination can't be " + p + " (procfs belongs to the container's runtime)");
    return p;
}

bool is_propagation(std::string_view v) {
    for (const char* p : {"private", "rprivate", "shared", "rshared", "slave", "rslave"})
        if (v == p) return true;
    return false;
}

std::vector<std::string> volume_mode(std::string_view options, std::string_view spec,
                                     const std::vector<std::string>& allowed) {
    // Options that exclude each other: Docker counts rw modes, label modes,
    // propagations and copy modes; Podman adds the exec/suid/dev pairs.
    auto group = [](const std::string& o) -> std::string {
        if (o == "ro" || o == "rw") return "rw";
        if (o == "z" || o == "Z") return "label";
        if (is_propagation(o)) return "propagation";
        if (o == "exec" || o == "noexec") return "exec";
        if (o == "suid" || o == "nosuid") return "suid";
        if (o == "dev" || o == "nodev") return "dev";
        return o;
    };
    std::vector<std::string> out, groups;
    for (auto& o : str::split(options, ',')) {
        if (std::find(allowed.begin(), allowed.end(), o) == allowed.end())
            throw Error("invalid volume option " + shown(o) + " in " + shown(spec));
        std::string g = group(o);
        if (std::find(groups.begin(), groups.end(), g) != groups.end())
            throw Error("invalid volume specification " + shown(spec) + ": invalid mode: " +
                        plain(options));
        groups.push_back(g);
        out.push_back(o);
    }
    return out;
}

uint32_t octal_mode(std::string_view value, std::string_view what) {
    bool ok = !value.empty() && value.size() <= 5 &&
              std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '7'; });
    unsigned long m = ok ? std::strtoul(std::string(value).c_str(), nullptr, 8) : 0;
    if (!ok || m > 07777) bad(what, value, "expected an octal mode (0 to 7777)");
    return static_cast<uint32_t>(m);
}

std::vector<std::string> tmpfs_options(std::string_view options, std::string_view spec) {
    static const std::set<std::string> flags = {
        "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync", "mand", "nomand",
        "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime",
        "lazytime", "nolazytime", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable",
        "runbindable", "inode32", "inode64", "noswap", "quota", "usrquota", "grpquota",
        // Podman's: copy the image's content of the directory up, or not.
        "tmpcopyup", "notmpcopyup"};
    std::vector<std::string> out;
    for (auto& o : str::split(options, ',')) {
        auto [k, v] = str::split_once(o, '=');
        bool has_value = o.find('=') != std::string::npos;
        auto refuse = [&](const std::string& why) {
            throw Error("invalid --tmpfs " + shown(spec) + ": option " + shown(o) + ": " + why);
        };
        if (!has_value) {
            if (!flags.count(o)) refuse("unknown option");
        } else if (k == "size") {
            if (!memparse_value(v, true)) refuse("expected a size (1024, 64k, 100m, 1g) or a percentage");
        } else if (k == "nr_blocks" || k == "nr_inodes") {
            if (!memparse_value(v, true)) refuse("expected a number (with k, m or g) or a percentage");
        } else if (k == "mode") {
            octal_mode(v, "--tmpfs mode");
        } else if (k == "uid" || k == "gid") {
            id(v, "--tmpfs " + k);
        } else if (k == "huge") {
            if (v != "never" && v != "always" && v != "within_size" && v != "advise" && v != "deny" && v != "force")
                refuse("expected never, always, within_size or advise");
        } else if (k == "mpol" || k.rfind("usrquota_", 0) == 0 || k.rfind("grpquota_", 0) == 0) {
            if (v.empty() || has_control(v)) refuse("needs a value");
        } else {
            refuse("unknown option");
        }
        out.push_back(o);
    }
    return out;
}

std::set<unsigned> cpu_list(std::string_view value, std::string_view flag) {
    std::set<unsigned> out;
    auto num = [&](std::string_view s) -> unsigned {
        if (!all_digits(s) || s.size() > 5) bad(flag, value, "expected CPU numbers such as 0-3,5");
        return static_cast<unsigned>(std::atoi(std::string(s).c_str()));
    };
    if (value.empty()) bad(flag, value, "empty");
    for (auto& part : str::split(value, ',')) {
        auto [a, b] = str::split_once(part, '-');
        unsigned lo = num(a), hi = part.find('-') == std::string::npos ? lo : num(b);
        if (lo > hi) bad(flag, value, "a range goes from low to high");
        for (unsigned i = lo; i <= hi; ++i) out.insert(i);
    }
    return out;
}

Ulimit ulimit(std::string_view spec) {
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) throw Error("invalid ulimit " + shown(spec) + ": expected name=soft[:hard]");
    Ulimit u;
    u.name = spec.substr(0, eq);
    static const std::set<std::string> known = {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
                                                "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending",
                                                "stack", "as"};
    if (!known.count(u.name)) throw Error("invalid ulimit type " + shown(u.name));
    auto [soft_s, hard_s] = str::split_once(spec.substr(eq + 1), ':');
    auto parse = [&](const std::string& v) -> uint64_t {
        if (v == "-1" || v == "unlimited") return UINT64_MAX;
        if (!all_digits(v)) throw Error("invalid ulimit " + shown(spec) + ": " + shown(v) + " is not a number");
        return static_cast<uint64_t>(integer(v, "ulimit value", 0, std::numeric_limits<int64_t>::max()));
    };
    u.soft = parse(soft_s);
    u.hard = spec.find(':', eq) == std::string_view::npos ? u.soft : parse(hard_s);
    if (u.soft > u.hard) throw Error("invalid ulimit " + shown(spec) + ": soft limit is above the hard limit");
    return u;
}

std::string sysctl_key(std::string_view key) {
    std::string k(key);
    std::replace(k.begin(), k.end(), '/', '.');
    bool ok = !k.empty() && !has_control(k) && k.find_first_of(" \t") == std::string::npos;
    for (auto& part : str::split(k, '.')) ok = ok && !part.empty();
    if (!ok) bad("--sysctl", key, "not a sysctl name");
    static const std::set<std::string> ipc = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                              "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
                                              "kernel.domainname"};
    if (ipc.count(k) || k.rfind("fs.mqueue.", 0) == 0 || k.rfind("net.", 0) == 0) return std::string(key);
    // Docker's words: only namespaced sysctls can be set for one container.
    throw Error("invalid --sysctl " + shown(key) + ": not allowed (only namespaced sysctls: kernel.msg*, kernel.sem, "
                "kernel.shm*, fs.mqueue.*, net.*)");
}

}  // namespace skiff::validate
