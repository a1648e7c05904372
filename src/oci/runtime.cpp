#include "oci/runtime.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "oci/caps.hpp"
#include "oci/cgroups.hpp"
#include "oci/console.hpp"
#include "oci/hooks.hpp"
#include "oci/init.hpp"
#include "oci/namespaces.hpp"
#include "oci/sys.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::oci {


namespace {

std::string absolute(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) throw_errno("resolve " + path);
    return buf;
}

bool apparmor_enabled() {
    auto t = fs::read_file_if_exists("/sys/module/apparmor/parameters/enabled");
    return t && str::trim(*t) == "Y";
}

bool selinux_enabled() { return ::access("/sys/fs/selinux/enforce", F_OK) == 0; }

void check_lsm(const Spec& spec, const Process& p, const char* where) {
    if (!p.apparmor_profile.empty() && !apparmor_enabled())
        throw Error(std::string("config.json: ") + where + ".apparmorProfile: AppArmor is not enabled on this host");
    if (!p.selinux_label.empty() && !selinux_enabled())
        throw Error(std::string("config.json: ") + where + ".selinuxLabel: SELinux is not enabled on this host");
    if (!spec.linux.mount_label.empty() && !selinux_enabled())
        throw Error("config.json: linux.mountLabel: SELinux is not enabled on this host");
}

UniqueFd pidfd_of(pid_t pid) {
    int fd = sys::pidfd_open(pid);
    if (fd < 0) return {};
    return UniqueFd(fd);
}

// Waits up to `ms` for a process (not necessarily our child) to exit.
bool wait_exit(int pidfd, int ms) {
    struct pollfd p {pidfd, POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, ms)) < 0 && errno == EINTR) {
    }
    return r > 0;
}

struct NsFile {
    const char* proc;  // name under /proc/<pid>/ns
    int flag;
};
const NsFile kNsFiles[] = {{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},     {"pid", CLONE_NEWPID},
                           {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},    {"net", CLONE_NEWNET},
                           {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};

// The namespaces of `pid` that differ from ours: those exec must join.
int differing_namespaces(pid_t pid) {
    int flags = 0;
    for (auto& n : kNsFiles) {
        struct stat a, b;
        std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + n.proc;
        std::string ours = std::string("/proc/self/ns/") + n.proc;
        if (::stat(theirs.c_str(), &a) < 0) continue;  // kernel without it
        if (::stat(ours.c_str(), &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) flags |= n.flag;
    }
    return flags;
}

// Of `flags`, the namespaces not owned by the container's own user
// namespace (e.g. a network namespace made in the parent user namespace and
// joined by path): they must be entered before the user namespace, whose
// creds have no rights over them.
int owned_by_outer_userns(pid_t pid, int flags) {
    if (!(flags & CLONE_NEWUSER)) return 0;
    std::string dir = "/proc/" + std::to_string(pid) + "/ns/";
    struct stat user;
    if (::stat((dir + "user").c_str(), &user) < 0) return 0;
    int out = 0;
    for (auto& n : kNsFiles) {
        if (!(flags & n.flag) || n.flag == CLONE_NEWUSER) continue;
        UniqueFd ns(::open((dir + n.proc).c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns) continue;
        UniqueFd owner(::ioctl(ns.get(), NS_GET_USERNS));
        struct stat o;
        if (owner && ::fstat(owner.get(), &o) == 0 && (o.st_ino != user.st_ino || o.st_dev != user.st_dev))
            out |= n.flag;
    }
    return out;
}

// Undoes a half-made container when create or run fails.
struct Rollback {
    const StateStore* store = nullptr;
    std::string id;
    CgroupSet cgroups;
    bool armed = true;
    ~Rollback() {
        if (!armed) return;
        try {
            cgroup_destroy(cgroups, [](const std::string&) {});
            if (store) store->remove(id);
        } catch (...) {
        }
    }
};

[[noreturn]] void child_fail(Channel& chan, const std::exception& e) {
    try {
        chan.send(std::string(kMsgError) + " " + e.what());
    } catch (...) {
    }
    ::_exit(1);
}

pid_t clone_into(uint64_t flags, int* pidfd) {
    sys::CloneArgs ca;
    ca.flags = flags | (pidfd ? sys::kClonePidfd : 0);
    ca.pidfd = reinterpret_cast<uint64_t>(pidfd);
    ca.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
    return sys::clone3(ca);
}

}  // namespace


Runtime::Runtime(RuntimeOptions opts)
    : store_(opts.root.empty() ? default_state_root() : opts.root), warn_(std::move(opts.warn)) {}

void Runtime::warn(const std::string& msg) const {
    if (warn_) warn_(msg);
    else std::fprintf(stderr, "warning: %s\n", msg.c_str());
}

Started Runtime::launch(const std::string& id, const CreateOptions& opts, bool wait_for_start) {
    validate_id(id);
    std::string bundle = absolute(opts.bundle);
    std::string config_path = bundle + "/config.json";
    auto text = fs::read_file_if_exists(config_path);
    if (!text) throw Error("open " + config_path + ": no such file (is --bundle right?)");
    Json j;
    try {
        j = Json::parse(*text);
    } catch (const Json::parse_error& e) {
        throw Error("config.json: invalid JSON: " + std::string(e.what()));
    }
    const Spec spec = parse_spec(j);
    if (!spec.process) throw Error("config.json: process: is required to run a container");
    const Process& proc = *spec.process;
    const Linux& l = spec.linux;
    if (!l.has_new_ns(NsType::mount))
        throw Error("config.json: linux.namespaces: a new mount namespace is required");
    bool rootless = running_rootless();
    bool new_userns = l.has_new_ns(NsType::user);
    if (::geteuid() != 0 && !l.find_ns(NsType::user))
        throw Error("config.json: linux.namespaces: an unprivileged user needs a user namespace");
    std::string rootfs = spec.root_path[0] == '/' ? spec.root_path : bundle + "/" + spec.root_path;
    if (!fs::is_dir(rootfs)) throw Error("config.json: root.path: " + rootfs + " is not a directory");
    rootfs = absolute(rootfs);
    check_lsm(spec, proc, "process");
    if (proc.capabilities)
        for (auto& c : unraisable_ambient(*proc.capabilities))
            warn("process.capabilities.ambient: " + c + " is not raised: an ambient capability must also be permitted and inheritable");
    if (proc.terminal && opts.console_socket.empty() && wait_for_start)
        throw Error("process.terminal needs --console-socket when the container is created detached");
    if (opts.preserve_fds < 0) throw Error("--preserve-fds must not be negative");

    store_.create_dir(id);
    Rollback rollback;
    rollback.store = &store_;
    rollback.id = id;
    // exec reads the config the container was made from, not the bundle's
    // current one.
    write_file_replace(store_.config_path(id), *text);

    ContainerState st;
    st.oci_version = spec.oci_version;
    st.id = id;
    st.bundle = bundle;
    st.rootfs = rootfs;
    st.created = timeutil::rfc3339_nano(timeutil::now_ns());
    st.annotations = spec.annotations;
    st.own_pid_ns = l.has_new_ns(NsType::pid);
    st.rootless = rootless;
    st.no_pivot = opts.no_pivot;
    st.poststart = spec.hooks.poststart;
    st.poststop = spec.hooks.poststop;

    CgroupSet cg = cgroup_create(spec, id, rootless, [this](const std::string& m) { warn(m); });
    rollback.cgroups = cg;
    st.cgroup_dirs = cg.dirs;
    st.cgroup_created = cg.created;

    InitConfig ic;
    ic.spec = &spec;
    ic.process = &proc;
    ic.id = id;
    ic.bundle = bundle;
    ic.rootfs = rootfs;
    ic.oci_version = spec.oci_version;
    for (int i = 0; i < 3; ++i) ic.stdio[i] = opts.stdio[i];
    ic.preserve_fds = opts.preserve_fds;
    ic.die_with_parent = opts.die_with_parent;
    ic.new_userns = new_userns;
    ic.userns = new_userns || in_nested_userns() || l.find_ns(NsType::user);
    ic.own_netns = l.has_new_ns(NsType::net);
    ic.new_cgroupns = l.has_new_ns(NsType::cgroup);
    ic.cgroup_pending = !cg.empty();
    ic.cgroup_dirs = cg.dirs;
    ic.no_pivot = opts.no_pivot;
    ic.new_keyring = !opts.no_new_keyring;
    ic.setgroups_denied = new_userns ? setgroups_denied(l) : false;
    ic.sync_hooks = !spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty();
    if (l.seccomp) ic.seccomp = compile_seccomp(*l.seccomp, store_.root() + "/.seccomp-cache");
    if (wait_for_start) {
        std::string fifo = store_.fifo_path(id);
        if (::mkfifo(fifo.c_str(), 0600) < 0) throw_errno("mkfifo " + fifo);
        // Read end, non-blocking so the open returns; the init polls it
        // until `start` writes a byte.
        ic.fifo.reset(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        if (!ic.fifo) throw_errno("open " + fifo);
    }
    if (!opts.console_socket.empty()) ic.console_socket = connect_unix(opts.console_socket, "console socket");
    if (l.seccomp && !l.seccomp->listener_path.empty())
        ic.seccomp_listener = connect_unix(l.seccomp->listener_path, "seccomp listener");
    auto [mine, theirs] = Channel::pair();
    ic.chan = std::move(theirs);

    std::fflush(nullptr);  // the child must not flush our buffers again
    pid_t pid = -1;
    UniqueFd pidfd;
    Child child;
    if (!needs_two_stages(l)) {
        // One clone3 makes every new namespace at once; the child is the
        // container's init.
        int pfd = -1;
        pid = clone_into(clone_flags(l), &pfd);
        if (pid < 0) throw_errno("clone3 (new namespaces for the container)");
        if (pid == 0) {
            mine.close();
            container_init(ic);
        }
        child = Child(pid);
        pidfd.reset(pfd);
        ic.chan.close();
        if (new_userns) write_id_maps(pid, l);
    } else {
        // Joined namespaces must be entered before a new user namespace
        // exists: an intermediate child joins, unshares, then forks the
        // init as our child (CLONE_PARENT) and exits.
        pid_t stage1 = clone_into(0, nullptr);
        if (stage1 < 0) throw_errno("clone3");
        if (stage1 == 0) {
            mine.close();
            try {
                join_namespaces(l);
                if (new_userns) {
                    if (::unshare(CLONE_NEWUSER) < 0) throw_errno("unshare user namespace");
                    ic.chan.send(kMsgMap);
                    auto r = ic.chan.recv();
                    if (!r || *r != "mapped") ::_exit(1);
                }
                uint64_t rest = clone_flags(l) & ~static_cast<uint64_t>(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWTIME);
                if (rest && ::unshare(static_cast<int>(rest)) < 0) throw_errno("unshare namespaces");
                if (l.has_new_ns(NsType::time)) {
                    if (::unshare(CLONE_NEWTIME) < 0) throw_errno("unshare time namespace");
                    write_time_offsets(l);
                }
                pid_t init = clone_into(CLONE_PARENT | (l.has_new_ns(NsType::pid) ? CLONE_NEWPID : 0), nullptr);
                if (init < 0) throw_errno("clone3 the container init");
                if (init == 0) container_init(ic);
                ic.chan.send(std::string(kMsgPid) + " " + std::to_string(init));
                ::_exit(0);
            } catch (const std::exception& e) {
                child_fail(ic.chan, e);
            }
        }
        Child first(stage1);
        for (;;) {
            auto m = mine.recv();
            if (!m) throw Error("container setup failed before the init started");
            if (*m == kMsgMap) {
                write_id_maps(stage1, l);
                mine.send("mapped");
            } else if (m->rfind(kMsgError, 0) == 0) {
                throw Error(m->substr(kMsgError.size() + 1));
            } else if (m->rfind(kMsgPid, 0) == 0) {
                pid = static_cast<pid_t>(std::stol(m->substr(kMsgPid.size() + 1)));
                break;
            }
        }
        child = Child(pid);
        first.wait();
        ic.chan.close();
        pidfd = pidfd_of(pid);
    }
    ic.fifo.reset();
    ic.console_socket.reset();
    ic.seccomp_listener.reset();

    st.pid = pid;
    st.pid_start_time = process_start_time(pid).value_or(0);
    // Moving a process between cgroups can wait for an RCU grace period:
    // let the container set up meanwhile; it waits for "cgroup" before
    // anything that must run inside its cgroups.
    mine.send(std::string(kMsgGo) + " " + std::to_string(pid));
    if (!cg.empty()) {
        cgroup_enter(cg, pid);
        mine.send("cgroup");
    }

    Started started;
    bool ready = false;
    for (;;) {
        UniqueFd fd;
        auto m = mine.recv(&fd);
        if (!m) break;  // end-of-file: the program was exec'd (or the init died)
        if (*m == kMsgReady) {
            ready = true;
            break;
        }
        if (m->rfind(kMsgError, 0) == 0) throw Error(m->substr(kMsgError.size() + 1));
        if (*m == "hooks") {
            std::string state = hook_state(st, Status::creating);
            run_hooks(spec.hooks.prestart, state, "prestart");
            run_hooks(spec.hooks.create_runtime, state, "createRuntime");
            mine.send("hooks-done");
        } else if (fd) {
            started.console = std::move(fd);  // the pty master
        }
    }
    if (wait_for_start && !ready) throw Error("the container init exited during setup");

    store_.save(st);
    if (!opts.pid_file.empty()) write_file_replace(opts.pid_file, std::to_string(pid), 0644);
    rollback.armed = false;
    if (!wait_for_start) {
        st.status = Status::running;
        run_hooks_warn(st.poststart, hook_state(st, Status::running), "poststart",
                       [this](const std::string& m) { warn(m); });
    }
    started.pid = child.release();
    started.pidfd = std::move(pidfd);
    return started;
}

pid_t Runtime::create(const std::string& id, const CreateOptions& opts) {
    Started s = launch(id, opts, true);
    return s.pid;
}

Started Runtime::run(const std::string& id, const CreateOptions& opts) { return launch(id, opts, false); }

void Runtime::start(const std::string& id) {
    ContainerState st = store_.load(id);
    if (st.status != Status::created)
        throw Error("cannot start container \"" + id + "\": it is " + status_name(st.status) +
                    (st.status == Status::running ? " already" : ", not created"));
    std::string fifo = store_.fifo_path(id);
    UniqueFd fd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        if (errno == ENXIO) throw Error("cannot start container \"" + id + "\": its init is no longer waiting");
        throw_errno("open " + fifo);
    }
    if (::write(fd.get(), "0", 1) != 1) throw_errno("write " + fifo);
    fd.reset();
    ::unlink(fifo.c_str());
    st.status = Status::running;
    run_hooks_warn(st.poststart, hook_state(st, Status::running), "poststart",
                   [this](const std::string& m) { warn(m); });
}

ContainerState Runtime::state(const std::string& id) const { return store_.load(id); }

std::vector<ContainerState> Runtime::list() const {
    std::vector<ContainerState> out;
    for (auto& id : store_.list()) {
        try {
            out.push_back(store_.load(id));
        } catch (const Error&) {
        }
    }
    return out;
}

Spec Runtime::config(const std::string& id) const {
    store_.load(id);
    auto text = fs::read_file(store_.config_path(id));
    return parse_spec(Json::parse(text));
}

std::vector<pid_t> Runtime::pids(const std::string& id) const {
    ContainerState st = store_.load(id);
    if (st.status == Status::stopped || st.status == Status::creating) return {};
    if (!st.cgroup_dirs.empty()) return cgroup_pids(CgroupSet{st.cgroup_dirs, {}});
    if (!st.own_pid_ns) return {st.pid};
    // No cgroup (rootless): the processes in the container's pid namespace.
    struct stat ns;
    std::string init_ns = "/proc/" + std::to_string(st.pid) + "/ns/pid";
    if (::stat(init_ns.c_str(), &ns) < 0) return {};
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d) throw_errno("opendir /proc");
    while (auto* e = ::readdir(d)) {
        char* end;
        long p = std::strtol(e->d_name, &end, 10);
        if (*end || p <= 0) continue;
        struct stat s;
        std::string path = std::string("/proc/") + e->d_name + "/ns/pid";
        if (::stat(path.c_str(), &s) == 0 && s.st_ino == ns.st_ino && s.st_dev == ns.st_dev)
            out.push_back(static_cast<pid_t>(p));
    }
    ::closedir(d);
    return out;
}

void Runtime::kill(const std::string& id, int signal, bool all) {
    ContainerState st = store_.load(id);
    if (st.status == Status::stopped || st.status == Status::creating)
        throw Error("container \"" + id + "\" is not running");
    if (all) {
        for (pid_t p : pids(id))
            if (::kill(p, signal) < 0 && errno != ESRCH) throw_errno("kill " + std::to_string(p));
        return;
    }
    UniqueFd pfd = pidfd_of(st.pid);
    // The pidfd pins the process: check that it is still the container's.
    if (!pfd || !process_alive(st.pid, st.pid_start_time)) throw Error("container \"" + id + "\" is not running");
    if (sys::pidfd_send_signal(pfd.get(), signal) < 0) throw_errno("kill container \"" + id + "\"");
}

void Runtime::remove(const std::string& id, bool force) {
    ContainerState st = store_.load(id);
    switch (st.status) {
        case Status::creating:
            if (!force) throw Error("container \"" + id + "\" is still being created (use --force)");
            store_.remove(id);
            return;
        case Status::running:
            if (!force) throw Error("cannot delete container \"" + id + "\" that is not stopped: running");
            [[fallthrough]];
        case Status::created: {
            UniqueFd pfd = pidfd_of(st.pid);
            if (pfd && process_alive(st.pid, st.pid_start_time)) {
                // Without its own pid namespace the container's other
                // processes do not die with its init.
                if (!st.own_pid_ns)
                    for (pid_t p : cgroup_pids(CgroupSet{st.cgroup_dirs, {}})) ::kill(p, SIGKILL);
                sys::pidfd_send_signal(pfd.get(), SIGKILL);
                if (!wait_exit(pfd.get(), 10000)) throw Error("container \"" + id + "\" did not die after SIGKILL");
            }
            break;
        }
        case Status::stopped:
            break;
    }
    st.status = Status::stopped;
    auto w = [this](const std::string& m) { warn(m); };
    run_hooks_warn(st.poststop, hook_state(st, Status::stopped), "poststop", w);
    cgroup_destroy(CgroupSet{st.cgroup_dirs, st.cgroup_created}, w);
    store_.remove(id);
}

Started Runtime::exec(const std::string& id, const Process& process, const ExecOptions& opts) {
    ContainerState st = store_.load(id);
    if (st.status != Status::running && st.status != Status::created)
        throw Error("cannot exec in container \"" + id + "\": it is " + status_name(st.status));
    Spec spec = config(id);
    check_lsm(spec, process, "process");
    UniqueFd target = pidfd_of(st.pid);
    if (!target || !process_alive(st.pid, st.pid_start_time)) throw Error("container \"" + id + "\" is not running");
    int flags = differing_namespaces(st.pid);
    int outer = owned_by_outer_userns(st.pid, flags);
    std::string proc_dir = "/proc/" + std::to_string(st.pid);

    InitConfig ic;
    ic.spec = &spec;
    ic.process = &process;
    ic.id = id;
    ic.bundle = st.bundle;
    ic.rootfs = st.rootfs;
    ic.oci_version = st.oci_version;
    ic.exec = true;
    ic.cgroup_pending = !st.cgroup_dirs.empty();
    if (spec.linux.seccomp) ic.seccomp = compile_seccomp(*spec.linux.seccomp, store_.root() + "/.seccomp-cache");
    ic.preserve_fds = opts.preserve_fds;
    for (int i = 0; i < 3; ++i) ic.stdio[i] = opts.stdio[i];
    ic.exec_root.reset(::open((proc_dir + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!ic.exec_root) throw_errno("open " + proc_dir + "/root");
    auto sg = fs::read_file_if_exists(proc_dir + "/setgroups");
    ic.setgroups_denied = sg && str::trim(*sg) == "deny";
    if (!opts.console_socket.empty()) ic.console_socket = connect_unix(opts.console_socket, "console socket");
    auto [mine, theirs] = Channel::pair();
    ic.chan = std::move(theirs);

    std::fflush(nullptr);
    pid_t stage1 = clone_into(0, nullptr);
    if (stage1 < 0) throw_errno("clone3");
    if (stage1 == 0) {
        mine.close();
        try {
            // One setns through the pidfd enters them all, user first; those
            // owned by an outer user namespace must come before it.
            if (outer && ::setns(target.get(), outer) < 0) throw_errno("join the container's namespaces");
            if ((flags & ~outer) && ::setns(target.get(), flags & ~outer) < 0)
                throw_errno("join the container's namespaces");
            pid_t p = clone_into(CLONE_PARENT, nullptr);
            if (p < 0) throw_errno("clone3");
            if (p == 0) container_init(ic);
            ic.chan.send(std::string(kMsgPid) + " " + std::to_string(p));
            ::_exit(0);
        } catch (const std::exception& e) {
            child_fail(ic.chan, e);
        }
    }
    Child first(stage1);
    ic.chan.close();
    ic.console_socket.reset();
    ic.exec_root.reset();
    pid_t pid = -1;
    for (;;) {
        auto m = mine.recv();
        if (!m) throw Error("exec failed before the process started");
        if (m->rfind(kMsgError, 0) == 0) throw Error(m->substr(kMsgError.size() + 1));
        if (m->rfind(kMsgPid, 0) == 0) {
            pid = static_cast<pid_t>(std::stol(m->substr(kMsgPid.size() + 1)));
            break;
        }
    }
    Child child(pid);
    first.wait();
    Started started;
    started.pidfd = pidfd_of(pid);
    mine.send(std::string(kMsgGo) + " " + std::to_string(pid));
    if (!st.cgroup_dirs.empty()) {
        cgroup_enter(CgroupSet{st.cgroup_dirs, {}}, pid);
        mine.send("cgroup");
    }
    for (;;) {
        UniqueFd fd;
        auto m = mine.recv(&fd);
        if (!m) break;
        if (m->rfind(kMsgError, 0) == 0) throw Error(m->substr(kMsgError.size() + 1));
        if (fd) started.console = std::move(fd);
    }
    if (!opts.pid_file.empty()) write_file_replace(opts.pid_file, std::to_string(pid), 0644);
    started.pid = child.release();
    return started;
}

namespace {

// Copies what `from` has now to `to` (non-blocking `from`). False at its
// end (EOF, an error, or a `to` that is gone).
bool pump(int from, int to) {
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        if (n <= 0) return false;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return false;
            off += w;
        }
    }
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

int Runtime::wait(Started& s) {
    static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int sig : forwarded) sigaddset(&mask, sig);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    std::optional<RawTerminal> raw;
    if (s.console) {
        if (::isatty(0)) {
            raw.emplace(0);
            copy_window_size(0, s.console.get());
        }
        set_nonblocking(s.console.get());
    }
    // What the process writes (a pty, or its stdout and stderr pipes) and
    // where our stdin goes: the caller's own descriptors never reach it.
    struct Out {
        int from, to;
    };
    std::vector<Out> outs;
    if (s.console) outs.push_back({s.console.get(), 1});
    if (s.out) outs.push_back({s.out.get(), 1});
    if (s.err) outs.push_back({s.err.get(), 2});
    for (auto& o : outs) set_nonblocking(o.from);
    int in_to = s.console ? s.console.get() : s.in.get();
    bool stdin_open = in_to >= 0;
    bool exited = false;
    while (!exited) {
        std::vector<pollfd> p = {{s.pidfd.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        for (auto& o : outs) p.push_back({o.from, POLLIN, 0});
        size_t in_at = p.size();
        if (stdin_open) p.push_back({0, POLLIN, 0});
        if (::poll(p.data(), p.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (::read(sfd.get(), &si, sizeof(si)) == sizeof(si)) {
                int sig = static_cast<int>(si.ssi_signo);
                if (sig == SIGWINCH) {
                    if (s.console) copy_window_size(0, s.console.get());
                } else {
                    sys::pidfd_send_signal(s.pidfd.get(), sig);
                }
            }
        }
        for (size_t i = 0; i < outs.size(); ++i)
            if (p[2 + i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (!pump(outs[i].from, outs[i].to)) outs[i].from = -1;
            }
        std::erase_if(outs, [](const Out& o) { return o.from < 0; });
        if (stdin_open && (p[in_at].revents & (POLLIN | POLLHUP | POLLERR))) {
            char buf[8192];
            ssize_t r = ::read(0, buf, sizeof(buf));
            if (r <= 0 || (::write(in_to, buf, static_cast<size_t>(r)) < 0 && errno != EAGAIN)) {
                stdin_open = false;
                if (!s.console) s.in.reset();  // the process sees its stdin's end
            }
        }
        exited = p[0].revents & POLLIN;
    }
    // What it wrote before it exited; a child it left running may hold the
    // pipes open: no waiting for their end.
    for (auto& o : outs) pump(o.from, o.to);
    int status = 0;
    while (::waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    s.pid = -1;
    return shell_status(status);
}

}  // namespace skiff::oci
