// exec: a new process in a running container, started by this very
// process (no monitor round trip): join the container's user namespace,
// then let the runtime join the rest.
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "container/users.hpp"
#include "engine/containers.hpp"
#include "oci/runtime.hpp"
#include "util/error.hpp"
#include "util/terminal.hpp"
#include "util/fs.hpp"

namespace skiff::engine {

namespace {

void join_user_namespace(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/user";
    UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target) throw_errno("open " + path);
    UniqueFd self(::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC));
    struct stat a, b;
    if (self && ::fstat(target.get(), &a) == 0 && ::fstat(self.get(), &b) == 0 && a.st_ino == b.st_ino) return;
    if (::setns(target.get(), CLONE_NEWUSER) < 0) throw_errno("join the container's user namespace");
    if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) throw_errno("become root in the user namespace");
}

// The exec'd process never gets the caller's own descriptors (through
// /proc/self/fd it could read a file the caller's stderr appends to, or
// truncate it): pipes relayed by this process, a pty (the runtime's), or
// /dev/null for a detached one, which must not keep `$(skiff exec -d …)`
// waiting either.
struct ExecStdio {
    UniqueFd theirs[3];  // the process's stdin, stdout, stderr (invalid: the pty's)
    UniqueFd in, out, err;  // ours, to relay
};

UniqueFd open_null() {
    UniqueFd fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!fd) throw_errno("open /dev/null");
    return fd;
}

// A pipe whose `reader` end is theirs when `to_them` (their stdin), else ours.
void make_pipe(UniqueFd& theirs, UniqueFd& ours, bool to_them) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe");
    theirs.reset(fds[to_them ? 0 : 1]);
    ours.reset(fds[to_them ? 1 : 0]);
}

ExecStdio exec_stdio(const ExecRequest& req) {
    ExecStdio io;
    if (req.detach) {
        for (auto& fd : io.theirs) fd = open_null();
        return io;
    }
    if (req.tty) return io;  // the runtime makes the pty and hands us its master
    if (req.interactive) make_pipe(io.theirs[0], io.in, true);
    else io.theirs[0] = open_null();
    make_pipe(io.theirs[1], io.out, false);
    make_pipe(io.theirs[2], io.err, false);
    return io;
}

}  // namespace

int exec_in_container(Engine& e, const container::Container& c, const ExecRequest& req) {
    if (c.state != "running")
        throw Error("can only create exec sessions on running containers: container state improper");
    if (req.argv.empty()) throw Error("exec requires a command");
    std::string runtime_root = e.paths().runtime_state_dir();
    if (geteuid() != 0 || c.monitor_pid > 0) {
        // Rootless containers live in their monitor's user namespace.
        // The monitor's: with --userns keep-id the container has a nested
        // one, and namespaces made outside it must be joined from here.
        if (geteuid() != 0) join_user_namespace(c.monitor_pid > 0 ? c.monitor_pid : c.pid);
    }
    oci::RuntimeOptions ro;
    ro.root = runtime_root;
    oci::Runtime rt(ro);
    oci::Spec spec = rt.config(c.id);
    if (!spec.process) throw Error("container " + c.name + " has no process in its runtime config");
    oci::Process p = *spec.process;
    p.args = req.argv;
    // Detached, nobody would read a pty: /dev/null as its stdio instead.
    p.terminal = req.tty && !req.detach;
    for (auto& kv : req.env) {
        std::string key = kv.substr(0, kv.find('='));
        bool replaced = false;
        for (auto& old : p.env)
            if (old.substr(0, old.find('=')) == key) old = kv, replaced = true;
        if (!replaced) p.env.push_back(kv);
    }
    if (!req.workdir.empty()) p.cwd = req.workdir;
    if (!req.user.empty()) {
        auto u = container::resolve_user("/proc/" + std::to_string(c.pid) + "/root", req.user, {});
        p.user.uid = u.uid;
        p.user.gid = u.gid;
        p.user.additional_gids = u.additional_gids;
    }
    if (req.privileged && p.capabilities) {
        auto& caps = *p.capabilities;
        std::vector<int> all;
        for (int i = 0; i <= CAP_LAST_CAP; ++i) all.push_back(i);
        caps.bounding = caps.effective = caps.permitted = all;
    }
    oci::ExecOptions o;
    ExecStdio io = exec_stdio(req);
    for (int i = 0; i < 3; ++i) o.stdio[i] = io.theirs[i].get();
    std::unique_ptr<RawTerminal> raw;
    if (req.tty && !req.detach && ::isatty(0)) raw = std::make_unique<RawTerminal>(0);
    oci::Started s;
    try {
        s = rt.exec(c.id, p, o);
    } catch (const Error& err) {
        // Docker's codes for a command that cannot run: 127 not found, 126 not runnable.
        std::string msg = err.what();
        bool missing = msg.find("not found") != std::string::npos || msg.find("No such file") != std::string::npos;
        throw Error(msg, missing ? kExitNotFound : kExitCannotInvoke);
    }
    for (auto& fd : io.theirs) fd.reset();  // the process holds them now: their end is its end
    if (req.detach) {
        s.pidfd.reset();
        s.console.reset();
        return 0;
    }
    s.in = std::move(io.in);
    s.out = std::move(io.out);
    s.err = std::move(io.err);
    return oci::Runtime::wait(s);
}

}  // namespace skiff::engine
