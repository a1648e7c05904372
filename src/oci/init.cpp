#include "oci/init.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "oci/caps.hpp"
#include "oci/console.hpp"
#include "oci/hooks.hpp"
#include "oci/mounts.hpp"
#include "oci/rlimits.hpp"
#include "oci/seccomp.hpp"
#include "util/error.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace skiff::oci {

namespace {

void write_file(const std::string& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open " + path);
    ssize_t n = ::write(fd, value.data(), value.size());
    int err = errno;
    ::close(fd);
    if (n < 0) throw_errno("write " + path, err);
}

std::string hook_state_json(const InitConfig& c, pid_t pid, const char* status) {
    Json j = {{"ociVersion", c.oci_version}, {"id", c.id}, {"status", status}, {"pid", pid}, {"bundle", c.bundle}};
    if (!c.spec->annotations.empty()) j["annotations"] = c.spec->annotations;
    return j.dump();
}

// Internal fds must not sit where --preserve-fds hands fds to the
// container; move them above.
void move_above(UniqueFd& fd, int min) {
    if (!fd || fd.get() >= min) return;
    int n = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, min);
    if (n < 0) throw_errno("fcntl F_DUPFD");
    fd.reset(n);
}

// The ids the child takes in a new user namespace: root if the map has
// it, else the first mapped id. Until then it is the unmapped overflow id.
void become_ns_owner(const Linux& l) {
    auto first = [](const std::vector<IdMapping>& m) {
        for (auto& e : m)
            if (e.container_id == 0) return 0u;
        return m.empty() ? 0u : m[0].container_id;
    };
    gid_t g = first(l.gid_mappings);
    uid_t u = first(l.uid_mappings);
    if (::setresgid(g, g, g) < 0) throw_errno("setresgid in the user namespace");
    if (::setresuid(u, u, u) < 0) throw_errno("setresuid in the user namespace");
}

void apply_sysctls(const std::map<std::string, std::string>& sysctl) {
    // Values are per namespace of the writer, so the runtime's /proc works
    // before pivot_root (and before /proc/sys becomes read-only).
    for (auto& [k, v] : sysctl) {
        std::string path = "/proc/sys/" + k;
        for (size_t i = 10; i < path.size(); ++i)
            if (path[i] == '.') path[i] = '/';
        write_file(path, v);
    }
}

void set_cpu_affinity(const std::string& list, const char* which) {
    if (list.empty()) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (auto& part : str::split(list, ',')) {
        auto [a, b] = str::split_once(part, '-');
        try {
            int lo = std::stoi(a), hi = b.empty() ? lo : std::stoi(b);
            for (int i = lo; i <= hi && i < CPU_SETSIZE; ++i) CPU_SET(i, &set);
        } catch (const std::exception&) {
            throw Error(std::string("config.json: process.execCPUAffinity.") + which + ": \"" + list +
                        "\" is not a CPU list");
        }
    }
    if (::sched_setaffinity(0, sizeof(set), &set) < 0) throw_errno(std::string("set CPU affinity ") + which);
}

struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
};

void apply_scheduling(const Process& p) {
    if (p.io_priority) {
        int prio = (p.io_priority->klass << 13) | p.io_priority->priority;
        if (::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0) throw_errno("ioprio_set");
    }
    if (p.scheduler) {
        SchedAttr a {};
        a.size = sizeof(a);
        a.sched_policy = static_cast<uint32_t>(p.scheduler->policy);
        a.sched_flags = p.scheduler->flags;
        a.sched_nice = p.scheduler->nice;
        a.sched_priority = static_cast<uint32_t>(p.scheduler->priority);
        a.sched_runtime = p.scheduler->runtime;
        a.sched_deadline = p.scheduler->deadline;
        a.sched_period = p.scheduler->period;
        if (::syscall(SYS_sched_setattr, 0, &a, 0) < 0) throw_errno("sched_setattr");
    }
}

// Linux security module labels for the next execve.
void apply_lsm(const Process& p) {
    if (!p.apparmor_profile.empty()) {
        std::string path = ::access("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "/proc/self/attr/apparmor/exec"
                                                                              : "/proc/self/attr/exec";
        write_file(path, "exec " + p.apparmor_profile);
    }
    if (!p.selinux_label.empty()) write_file("/proc/self/attr/exec", p.selinux_label);
}

void switch_user(const User& u, bool setgroups_denied) {
    // Keep the permitted capabilities across the uid change; the sets are
    // applied right after.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw_errno("prctl PR_SET_KEEPCAPS");
    if (setgroups_denied) {
        if (!u.additional_gids.empty())
            throw Error("process.user.additionalGids: cannot be set: setgroups is denied in this user namespace "
                        "(map the groups with newgidmap by giving several gid ranges)");
    } else if (::setgroups(u.additional_gids.size(), u.additional_gids.data()) < 0) {
        throw_errno("setgroups");
    }
    if (::setresgid(u.gid, u.gid, u.gid) < 0) throw_errno("setresgid " + std::to_string(u.gid));
    if (::setresuid(u.uid, u.uid, u.uid) < 0) throw_errno("setresuid " + std::to_string(u.uid));
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) throw_errno("prctl PR_SET_KEEPCAPS");
}

void wait_for_start(int fifo) {
    struct pollfd p {fifo, POLLIN, 0};
    while (::poll(&p, 1, -1) < 0)
        if (errno != EINTR) throw_errno("wait for start");
    char c;
    if (::read(fifo, &c, 1) != 1) ::_exit(0);  // the writer left without starting us
}

// ContainerProcessState for the seccomp agent, with the notify fd.
void send_seccomp_fd(const InitConfig& c, int listener, int notify_fd, pid_t pid) {
    Json state = Json::parse(hook_state_json(c, pid, "creating"));
    Json msg = {{"ociVersion", c.oci_version},
                {"fds", {"seccompFd"}},
                {"pid", pid},
                {"metadata", c.spec->linux.seccomp->listener_metadata},
                {"state", state}};
    send_fd(listener, msg.dump(), notify_fd);
}

void reset_signals() {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) {
        if (s == SIGKILL || s == SIGSTOP || (s >= 32 && s < SIGRTMIN)) continue;
        ::sigaction(s, &sa, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::vector<char*> cstrings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

void run_init(InitConfig& c) {
    const Spec& spec = *c.spec;
    const Process& proc = *c.process;
    int keep = 3 + c.preserve_fds;
    if (c.preserve_fds > 0) {
        for (UniqueFd* fd : {&c.fifo, &c.console_socket, &c.seccomp_listener, &c.exec_root}) move_above(*fd, keep);
        UniqueFd ch(::fcntl(c.chan.get(), F_DUPFD_CLOEXEC, keep));
        if (!ch) throw_errno("fcntl F_DUPFD");
        c.chan = Channel(std::move(ch));
    }
    for (int i = 0; i < 3; ++i)
        if (c.stdio[i] >= 0 && c.stdio[i] != i && ::dup2(c.stdio[i], i) < 0) throw_errno("dup2 stdio");

    // The runtime has written our id maps, put us in our cgroups and run
    // what it runs before us; it sends our pid as the host sees it.
    auto go = c.chan.recv();
    if (!go || go->rfind(kMsgGo, 0) != 0) ::_exit(1);
    pid_t host_pid = static_cast<pid_t>(std::stol(go->substr(kMsgGo.size() + 1)));

    if (c.new_userns) become_ns_owner(spec.linux);
    if (!c.exec && !c.new_userns && c.userns) {
        // A joined user namespace may deny setgroups (a rootless single mapping).
        int fd = ::open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
        char buf[16] = {};
        if (fd >= 0) {
            ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
            (void)n;
            ::close(fd);
        }
        c.setgroups_denied = std::strncmp(buf, "deny", 4) == 0;
    }
    // Idempotent: once in our cgroups, the cgroup namespace (rooted there).
    bool in_cgroup = false;
    auto enter_cgroup = [&c, &in_cgroup]() {
        if (in_cgroup) return;
        in_cgroup = true;
        if (c.cgroup_pending) {
            auto m = c.chan.recv();
            if (!m || *m != "cgroup") ::_exit(1);
        }
        if (c.new_cgroupns && ::unshare(CLONE_NEWCGROUP) < 0) throw_errno("unshare cgroup namespace");
    };
    if (::setsid() < 0) throw_errno("setsid");
    // Modes of what the setup creates (device nodes, mount points) are
    // exact; the process gets its own umask at the end.
    ::umask(0);

    if (c.exec) {
        // Into the container's root (setns left us at the namespace's root,
        // which is not the container's after a chroot-based start).
        if (::fchdir(c.exec_root.get()) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0)
            throw_errno("enter the container's root");
        c.exec_root.reset();
    } else {
        if (c.new_keyring) {
            // A session keyring of its own: the caller's keys stay out of reach.
            std::string name = "_ses." + c.id;
            if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS)
                throw_errno("join a new session keyring (--no-new-keyring avoids it)");
        }
        if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
            throw_errno("sethostname");
        if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
            throw_errno("setdomainname");
        if (proc.oom_score_adj) write_file("/proc/self/oom_score_adj", std::to_string(*proc.oom_score_adj));
        apply_sysctls(spec.linux.sysctl);

        RootfsContext rc;
        rc.spec = &spec;
        rc.rootfs = c.rootfs;
        rc.bundle = c.bundle;
        rc.userns = c.userns;
        rc.own_netns = c.own_netns;
        rc.own_cgroupns = c.new_cgroupns;
        rc.cgroup_dirs = c.cgroup_dirs;
        rc.before_cgroup_mount = enter_cgroup;
        UniqueFd rootfd = prepare_rootfs(rc);
        ::umask(022);  // what hooks expect
        enter_cgroup();  // before any hook runs
        if (c.sync_hooks) {
            // prestart and createRuntime: the runtime runs them now, with the
            // mounts in place and the old root still reachable.
            c.chan.send("hooks");
            auto done = c.chan.recv();
            if (!done || *done != "hooks-done") ::_exit(1);
        }
        run_hooks(spec.hooks.create_container, hook_state_json(c, host_pid, "creating"), "createContainer");
        enter_rootfs(rootfd.get(), c.rootfs, c.no_pivot);
        rootfd.reset();
        finish_rootfs(spec);
    }

    enter_cgroup();
    if (proc.terminal) {
        int sock = c.console_socket ? c.console_socket.get() : c.chan.get();
        setup_console(sock, proc.console_size, proc.user.uid, proc.user.gid);
        c.console_socket.reset();
    }
    if (spec.linux.personality && ::personality(*spec.linux.personality) < 0) throw_errno("personality");
    apply_rlimits(proc.rlimits);
    apply_scheduling(proc);
    set_cpu_affinity(proc.cpu_affinity_initial, "initial");
    bool cwd_done = ::chdir(proc.cwd.c_str()) == 0;
    if (!cwd_done && errno != EACCES) throw_errno("chdir to process.cwd " + proc.cwd);
    std::string program = find_program(proc.args[0], proc.env);

    if (c.fifo) {
        c.chan.send(kMsgReady);
        wait_for_start(c.fifo.get());
        c.fifo.reset();
    }
    if (!c.exec)
        run_hooks(spec.hooks.start_container, hook_state_json(c, host_pid, "created"), "startContainer");
    apply_lsm(proc);
    if (proc.user.umask) ::umask(*proc.user.umask);
    else ::umask(022);

    // Only the preserved fds (and stdio) reach the program.
    if (c.preserve_fds > 0)
        for (int fd = 3; fd < keep; ++fd) ::fcntl(fd, F_SETFD, 0);
    if (::close_range(static_cast<unsigned>(keep), ~0U, CLOSE_RANGE_CLOEXEC) < 0) throw_errno("close_range");

    // Without no_new_privs the kernel only accepts a filter from a process
    // holding CAP_SYS_ADMIN: load it before the capabilities go.
    UniqueFd notify;
    bool filter = !c.seccomp.empty();
    if (filter && !proc.no_new_privileges) notify = load_seccomp(c.seccomp);
    if (proc.capabilities) drop_bounding(*proc.capabilities);
    switch_user(proc.user, c.setgroups_denied);
    // After the last change of credentials, which clears it.
    if (c.die_with_parent && ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) throw_errno("set the parent-death signal");
    if (proc.capabilities) apply_caps(*proc.capabilities);
    if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("set no_new_privs");
    // With no_new_privs, as late as possible: fewer syscalls must pass it.
    if (filter && proc.no_new_privileges) notify = load_seccomp(c.seccomp);
    if (notify) {
        send_seccomp_fd(c, c.seccomp_listener.get(), notify.get(), host_pid);
        notify.reset();
        c.seccomp_listener.reset();
    }
    if (!cwd_done && ::chdir(proc.cwd.c_str()) < 0) throw_errno("chdir to process.cwd " + proc.cwd);
    set_cpu_affinity(proc.cpu_affinity_final, "final");
    reset_signals();

    auto argv = cstrings(proc.args);
    auto envp = cstrings(proc.env);
    ::execve(program.c_str(), argv.data(), envp.data());
    throw_errno("exec " + program);
}

}  // namespace

std::string find_program(const std::string& name, const std::vector<std::string>& env) {
    if (name.find('/') != std::string::npos) {
        if (::access(name.c_str(), F_OK) < 0) throw_errno("exec: \"" + name + "\"");
        return name;
    }
    std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (auto& e : env)
        if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    for (auto& dir : str::split(path, ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return candidate;
    }
    throw Error("exec: \"" + name + "\": executable file not found in $PATH");
}

void container_init(InitConfig& cfg) noexcept {
    std::string msg;
    try {
        run_init(cfg);
    } catch (const std::exception& e) {
        msg = e.what();
    } catch (...) {
        msg = "unknown error";
    }
    // Tell the runtime; once it is gone (after create), the container's
    // stderr is the only place left.
    bool told = false;
    if (cfg.chan.valid()) {
        try {
            cfg.chan.send(std::string(kMsgError) + " " + msg);
            told = true;
        } catch (...) {
        }
    }
    if (!told) ::dprintf(2, "skiff-runtime: %s\n", msg.c_str());
    ::_exit(told ? 1 : 127);
}

}  // namespace skiff::oci
