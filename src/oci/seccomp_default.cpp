// The default seccomp profile of Docker and Podman, kept as data.
// Source of the facts: moby's profiles/seccomp/default.json (the syscall
// names, the capability and architecture guards and the argument filters),
// as of moby 28 (2025). docs/seccomp.md records how it differs and why.
#include "oci/seccomp_default.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>

namespace skiff::oci {

namespace {

// Syscalls every container may make.
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
    "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
    "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
    "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock",
    "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv",
    "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
    "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
    "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
    "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
    "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
    "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
    "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
    "io_submit", "ipc", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
    "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
    "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
    "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
    "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
    "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
    "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
    "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
    "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
    "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
    "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
    "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list",
    "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
    "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
    "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
    "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
    // moby guards these three by "minKernel 4.8", which every supported kernel meets.
    "process_vm_readv", "process_vm_writev", "ptrace",
    // Linux 6.5-6.7 (moby 25, 2024): page-cache stats, fchmodat with flags,
    // shadow stacks, futex2. Each only touches the caller's own memory or
    // files it may already change; refused with EPERM they break callers
    // that fall back to the older call only on ENOSYS.
    "cachestat", "fchmodat2", "futex_requeue", "futex_wait", "futex_wake", "map_shadow_stack",
    // Linux 6.8-6.13 (moby 28, 2025): mount listing of the caller's own
    // namespace, memory sealing, the *xattrat family. libseccomp before
    // 2.6 cannot name them; the compiler skips names it does not know.
    "getxattrat", "listmount", "listxattrat", "mseal", "removexattrat", "setxattrat", "statmount",
    "uretprobe",
    // io_uring_setup, io_uring_enter and io_uring_register are left out on
    // purpose (moby 25, containerd 2.0, Podman): io_uring performs reads,
    // writes, opens and connects that no seccomp filter sees, and has been
    // the way in for many kernel exploits. They fail with EPERM.
};

struct Arg {
    unsigned index;
    uint64_t value;
    const char* op;
};

// A rule that applies only with (or without) some capabilities or on some
// architectures (moby's "includes"/"excludes"; arches in Go's names).
struct Guarded {
    std::initializer_list<const char*> names;
    const char* action = "SCMP_ACT_ALLOW";
    int errno_ret = -1;
    std::initializer_list<Arg> args = {};
    std::initializer_list<const char*> caps = {};           // any of these present
    std::initializer_list<const char*> without_caps = {};   // none of these present
    std::initializer_list<const char*> arches = {};         // host arch among these
    std::initializer_list<const char*> not_arches = {};     // host arch not among these
};

// CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET
constexpr uint64_t kNamespaceFlags = 2114060288;

const Guarded kGuarded[] = {
    // socket() for anything but AF_VSOCK (40).
    {.names = {"socket"}, .args = {{0, 40, "SCMP_CMP_NE"}}},
    // personality(): only the harmless personas.
    {.names = {"personality"}, .args = {{0, 0, "SCMP_CMP_EQ"}}},
    {.names = {"personality"}, .args = {{0, 8, "SCMP_CMP_EQ"}}},
    {.names = {"personality"}, .args = {{0, 131072, "SCMP_CMP_EQ"}}},
    {.names = {"personality"}, .args = {{0, 131080, "SCMP_CMP_EQ"}}},
    {.names = {"personality"}, .args = {{0, 4294967295, "SCMP_CMP_EQ"}}},
    {.names = {"sync_file_range2", "swapcontext"}, .arches = {"ppc64le"}},
    {.names = {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
               "cacheflush", "set_tls"},
     .arches = {"arm", "arm64"}},
    {.names = {"arch_prctl"}, .arches = {"amd64", "x32"}},
    {.names = {"modify_ldt"}, .arches = {"amd64", "x32", "x86"}},
    {.names = {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"},
     .arches = {"s390", "s390x"}},
    {.names = {"riscv_flush_icache", "riscv_hwprobe"}, .arches = {"riscv64"}},
    {.names = {"open_by_handle_at"}, .caps = {"CAP_DAC_READ_SEARCH"}},
    {.names = {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
               "fspick", "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr",
               "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl",
               "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2",
               "unshare"},
     .caps = {"CAP_SYS_ADMIN"}},
    // Without CAP_SYS_ADMIN, clone() may not ask for new namespaces...
    {.names = {"clone"},
     .args = {{0, kNamespaceFlags, "SCMP_CMP_MASKED_EQ"}},
     .without_caps = {"CAP_SYS_ADMIN"},
     .not_arches = {"s390", "s390x"}},
    {.names = {"clone"},
     .args = {{1, kNamespaceFlags, "SCMP_CMP_MASKED_EQ"}},
     .without_caps = {"CAP_SYS_ADMIN"},
     .arches = {"s390", "s390x"}},
    // ...and clone3(), whose flags seccomp cannot see, reports ENOSYS so
    // that libc falls back to clone().
    {.names = {"clone3"}, .action = "SCMP_ACT_ERRNO", .errno_ret = 38,
     .without_caps = {"CAP_SYS_ADMIN"}},
    {.names = {"reboot"}, .caps = {"CAP_SYS_BOOT"}},
    {.names = {"chroot"}, .caps = {"CAP_SYS_CHROOT"}},
    {.names = {"delete_module", "init_module", "finit_module"}, .caps = {"CAP_SYS_MODULE"}},
    {.names = {"acct"}, .caps = {"CAP_SYS_PACCT"}},
    {.names = {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
               "process_vm_writev", "ptrace"},
     .caps = {"CAP_SYS_PTRACE"}},
    {.names = {"iopl", "ioperm"}, .caps = {"CAP_SYS_RAWIO"}},
    {.names = {"settimeofday", "stime", "clock_settime", "clock_settime64"},
     .caps = {"CAP_SYS_TIME"}},
    {.names = {"vhangup"}, .caps = {"CAP_SYS_TTY_CONFIG"}},
    {.names = {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"},
     .caps = {"CAP_SYS_NICE"}},
    {.names = {"syslog"}, .caps = {"CAP_SYSLOG"}},
    {.names = {"bpf"}, .caps = {"CAP_BPF"}},
    {.names = {"perf_event_open"}, .caps = {"CAP_PERFMON"}},
};

// The host architecture in Go's names (moby's guards) and the seccomp
// architectures a process on it may use.
#if defined(__x86_64__)
constexpr const char* kGoArch = "amd64";
const std::vector<std::string> kArches = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
constexpr const char* kGoArch = "arm64";
const std::vector<std::string> kArches = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#elif defined(__i386__)
constexpr const char* kGoArch = "x86";
const std::vector<std::string> kArches = {"SCMP_ARCH_X86"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr const char* kGoArch = "ppc64le";
const std::vector<std::string> kArches = {"SCMP_ARCH_PPC64LE"};
#elif defined(__s390x__)
constexpr const char* kGoArch = "s390x";
const std::vector<std::string> kArches = {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"};
#elif defined(__riscv) && __riscv_xlen == 64
constexpr const char* kGoArch = "riscv64";
const std::vector<std::string> kArches = {"SCMP_ARCH_RISCV64"};
#else
constexpr const char* kGoArch = "unknown";
const std::vector<std::string> kArches = {};
#endif

bool has(std::initializer_list<const char*> list, const std::string& v) {
    return std::any_of(list.begin(), list.end(), [&](const char* s) { return v == s; });
}

bool any_cap(std::initializer_list<const char*> list, const std::vector<std::string>& caps) {
    return std::any_of(caps.begin(), caps.end(), [&](const std::string& c) { return has(list, c); });
}

bool applies(const Guarded& g, const std::vector<std::string>& caps) {
    if (g.caps.size() && !any_cap(g.caps, caps)) return false;
    if (g.without_caps.size() && any_cap(g.without_caps, caps)) return false;
    if (g.arches.size() && !has(g.arches, kGoArch)) return false;
    if (g.not_arches.size() && has(g.not_arches, kGoArch)) return false;
    return true;
}

}  // namespace

Json default_seccomp(const std::vector<std::string>& caps) {
    Json names = Json::array();
    for (const char* n : kAllowed) names.push_back(n);
    Json syscalls = Json::array();
    syscalls.push_back({{"names", names}, {"action", "SCMP_ACT_ALLOW"}});
    for (const Guarded& g : kGuarded) {
        if (!applies(g, caps)) continue;
        Json rule = {{"names", Json::array()}, {"action", g.action}};
        for (const char* n : g.names) rule["names"].push_back(n);
        if (g.errno_ret >= 0) rule["errnoRet"] = g.errno_ret;
        if (g.args.size()) {
            rule["args"] = Json::array();
            for (const Arg& a : g.args)
                rule["args"].push_back({{"index", a.index}, {"value", a.value}, {"valueTwo", 0}, {"op", a.op}});
        }
        syscalls.push_back(std::move(rule));
    }
    return {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"defaultErrnoRet", 1},
            {"architectures", kArches},
            {"syscalls", syscalls}};
}

}  // namespace skiff::oci
