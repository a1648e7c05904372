#include "oci/seccomp.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "oci/state.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::oci {

namespace {

uint32_t action_of(const std::string& a, std::optional<unsigned> errno_ret) {
    unsigned e = errno_ret.value_or(EPERM);
    if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (a == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (a == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(e);
    if (a == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(e);
    if (a == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (a == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (a == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
    throw Error("seccomp: unknown action " + a);
}

scmp_compare op_of(const std::string& op) {
    if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
    if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
    if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
    if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
    if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
    if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
    if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
    throw Error("seccomp: unknown operator " + op);
}

struct scmp_arg_cmp cmp_of(const SeccompArg& a) {
    struct scmp_arg_cmp c {};
    c.arg = a.index;
    c.op = op_of(a.op);
    c.datum_a = a.value;      // for MASKED_EQ: the mask
    c.datum_b = a.value_two;  // for MASKED_EQ: the value after masking
    return c;
}

void check(int rc, const std::string& what) {
    if (rc < 0) throw_errno("seccomp: " + what, -rc);
}


// The exact text the cache is keyed by: everything that shapes the program.
std::string cache_key(const Seccomp& c) {
    struct utsname u {};
    ::uname(&u);
    const scmp_version* v = seccomp_version();
    std::string k = "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->micro) + "\nkernel " + u.release + " " + u.machine + "\ndefault " +
                    c.default_action + " " + (c.default_errno_ret ? std::to_string(*c.default_errno_ret) : "-") +
                    "\narch";
    for (auto& a : c.architectures) k += " " + a;
    k += "\nflags";
    for (auto& f : c.flags) k += " " + f;
    k += "\n";
    for (auto& sc : c.syscalls) {
        k += sc.action + " " + (sc.errno_ret ? std::to_string(*sc.errno_ret) : "-");
        for (auto& a : sc.args)
            k += " [" + std::to_string(a.index) + " " + a.op + " " + std::to_string(a.value) + " " +
                 std::to_string(a.value_two) + "]";
        k += ":";
        for (auto& n : sc.names) k += " " + n;
        k += "\n";
    }
    return k;
}

// FNV-1a: names the cache file; the key text inside decides a hit.
std::string hash_hex(const std::string& s) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// The cached program is loaded into the kernel as is: only trust a file
// that we own and no one else may write.
std::optional<std::string> read_trusted(const std::string& file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return std::nullopt;
    struct stat st;
    if (::fstat(fd.get(), &st) < 0 || st.st_uid != ::geteuid() || (st.st_mode & 022) || !S_ISREG(st.st_mode))
        return std::nullopt;
    std::string out(static_cast<size_t>(st.st_size), '\0');
    if (::pread(fd.get(), out.data(), out.size(), 0) != st.st_size) return std::nullopt;
    return out;
}

struct Ctx {
    scmp_filter_ctx ctx;
    ~Ctx() { seccomp_release(ctx); }
};

std::string compile(const Seccomp& cfg) {
    uint32_t def = action_of(cfg.default_action, cfg.default_errno_ret);
    scmp_filter_ctx raw = seccomp_init(def);
    if (!raw) throw Error("seccomp: cannot initialise libseccomp (default action " + cfg.default_action + ")");
    Ctx guard{raw};
    scmp_filter_ctx ctx = raw;
    // The runtime sets no_new_privs itself, as process.noNewPrivileges says.
    check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "disable implicit no_new_privs");
    for (auto& a : cfg.architectures) {
        std::string name = str::lower(a.substr(std::strlen("SCMP_ARCH_")));
        uint32_t arch = seccomp_arch_resolve_name(name.c_str());
        if (arch == 0) throw Error("seccomp: architecture " + a + " is not known to libseccomp");
        int rc = seccomp_arch_add(ctx, arch);
        if (rc < 0 && rc != -EEXIST) check(rc, "add architecture " + a);
    }
    for (auto& sc : cfg.syscalls) {
        uint32_t act = action_of(sc.action, sc.errno_ret);
        // libseccomp refuses rules that repeat the default action.
        if (act == def) continue;
        std::vector<struct scmp_arg_cmp> cmps;
        std::set<unsigned> indexes;
        for (auto& a : sc.args) {
            cmps.push_back(cmp_of(a));
            indexes.insert(a.index);
        }
        // Conditions on distinct arguments must all hold (one rule). Several
        // on the same argument cannot be ANDed by libseccomp: like runc, each
        // becomes a rule of its own, so any of them matches.
        bool one_rule = indexes.size() == cmps.size();
        for (auto& name : sc.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) continue;  // not a syscall of this architecture
            if (one_rule) {
                check(seccomp_rule_add_array(ctx, act, nr, static_cast<unsigned>(cmps.size()), cmps.data()),
                      "rule for " + name);
            } else {
                for (auto& c : cmps) check(seccomp_rule_add_array(ctx, act, nr, 1, &c), "rule for " + name);
            }
        }
    }
    UniqueFd mem(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
    if (!mem) throw_errno("memfd_create");
    check(seccomp_export_bpf(ctx, mem.get()), "export the filter");
    off_t size = ::lseek(mem.get(), 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0) throw Error("seccomp: bad exported filter");
    std::string bpf(static_cast<size_t>(size), '\0');
    if (::pread(mem.get(), bpf.data(), bpf.size(), 0) != size) throw_errno("seccomp: read the filter");
    return bpf;
}

}  // namespace

SeccompProgram compile_seccomp(const Seccomp& cfg, const std::string& cache_dir) {
    SeccompProgram p;
    for (auto& f : cfg.flags) {
        if (f == "SECCOMP_FILTER_FLAG_TSYNC") p.flags |= SECCOMP_FILTER_FLAG_TSYNC;
        else if (f == "SECCOMP_FILTER_FLAG_LOG") p.flags |= SECCOMP_FILTER_FLAG_LOG;
        else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") p.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        else throw Error("seccomp: flag " + f + " is not supported by libseccomp " +
                         std::to_string(SCMP_VER_MAJOR) + "." + std::to_string(SCMP_VER_MINOR));
    }
    p.notify = cfg.default_action == "SCMP_ACT_NOTIFY";
    for (auto& sc : cfg.syscalls) p.notify = p.notify || sc.action == "SCMP_ACT_NOTIFY";
    // A listener and thread sync do not mix; the runtime is single-threaded.
    if (p.notify) p.flags = (p.flags & ~SECCOMP_FILTER_FLAG_TSYNC) | SECCOMP_FILTER_FLAG_NEW_LISTENER;

    std::string key = cache_key(cfg);
    std::string file = cache_dir.empty() ? "" : cache_dir + "/" + hash_hex(key) + ".bpf";
    if (!file.empty()) {
        if (auto cached = read_trusted(file)) {
            auto nl = cached->find('\n');
            if (nl != std::string::npos) {
                size_t len = std::strtoul(cached->c_str(), nullptr, 10);
                if (cached->size() >= nl + 1 + len && cached->compare(nl + 1, len, key) == 0) {
                    p.bpf = cached->substr(nl + 1 + len);
                    if (!p.bpf.empty() && p.bpf.size() % sizeof(struct sock_filter) == 0) return p;
                }
            }
        }
    }
    p.bpf = compile(cfg);
    if (!file.empty()) {
        try {
            fs::make_dirs(cache_dir, 0700);
            write_file_replace(file, std::to_string(key.size()) + "\n" + key + p.bpf, 0600);
        } catch (const Error&) {
            // A read-only state root only costs the next start the compile.
        }
    }
    return p;
}

UniqueFd load_seccomp(const SeccompProgram& p) {
    struct sock_fprog prog {};
    prog.len = static_cast<unsigned short>(p.bpf.size() / sizeof(struct sock_filter));
    prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(p.bpf.data()));
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &prog);
    if (rc < 0) throw_errno("seccomp: load the filter");
    if (p.notify) return UniqueFd(static_cast<int>(rc));
    return {};
}

}  // namespace skiff::oci
