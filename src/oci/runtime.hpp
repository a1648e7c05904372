// The built-in OCI runtime as a C++ API: what `skiff oci` (and the
// skiff-runtime name) calls, and what the container monitor calls
// directly, without an exec.
//
//   Runtime rt;                                   // default state root
//   pid_t pid = rt.create("web", {.bundle = dir}); // set up, waiting
//   rt.start("web");                               // now it runs
//   rt.state("web").status == Status::running
//   rt.kill("web", SIGTERM, false);
//   rt.remove("web", /*force=*/false);             // `delete`: poststop hooks, cleanup
//
//   // The monitor's fast path: set up and run at once with its own stdio.
//   CreateOptions o; o.bundle = dir; o.stdio[1] = log_fd; o.stdio[2] = log_fd;
//   Started s = rt.run("web", o);   // the caller is the parent: waitpid(s.pid)
//   ... rt.remove("web", false) once it exited.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "oci/namespaces.hpp"
#include "oci/spec.hpp"
#include "oci/state.hpp"
#include "util/fd.hpp"

namespace skiff::oci {

struct RuntimeOptions {
    std::string root;  // state root; empty: default_state_root()
    // Warnings ("resource limits are unavailable …"); default: stderr.
    std::function<void(const std::string&)> warn;
};

struct CreateOptions {
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    int preserve_fds = 0;
    bool no_pivot = false;
    bool no_new_keyring = false;
    // The container's stdin, stdout, stderr (-1: inherit the caller's).
    int stdio[3] = {-1, -1, -1};
    // run(): the container's init gets SIGKILL when its caller dies.
    bool die_with_parent = false;
};

// A container process started by run() or exec(): the caller is its
// parent and reaps it.
struct Started {
    pid_t pid = -1;
    UniqueFd pidfd;
    // With process.terminal and no console socket: the pty master, for
    // the caller to relay.
    UniqueFd console;
    // The caller's ends of pipes it gave as the process's stdio (set by the
    // caller after exec()): wait() relays them to and from its own stdio.
    UniqueFd in, out, err;
};

struct ExecOptions {
    std::string console_socket;
    std::string pid_file;
    int preserve_fds = 0;
    int stdio[3] = {-1, -1, -1};
};

// create, run and exec clone the calling process as fork() does: call
// them from a single-threaded process.
class Runtime {
public:
    explicit Runtime(RuntimeOptions opts = {});

    const std::string& root() const { return store_.root(); }

    // `create`: builds the container and leaves its init waiting on the
    // exec fifo; returns the init's pid (as the host sees it).
    pid_t create(const std::string& id, const CreateOptions& opts);
    // `start`: releases a created container (poststart hooks follow).
    void start(const std::string& id);
    // create + start in one go, without the fifo round trip.
    Started run(const std::string& id, const CreateOptions& opts);
    // A new process in a created or running container.
    Started exec(const std::string& id, const Process& process, const ExecOptions& opts);

    ContainerState state(const std::string& id) const;
    std::vector<ContainerState> list() const;
    void kill(const std::string& id, int signal, bool all);
    // `delete`: a stopped (or, with force, any) container: poststop hooks,
    // cgroups, state. A created container is killed first, as runc does.
    void remove(const std::string& id, bool force);
    std::vector<pid_t> pids(const std::string& id) const;

    // The config.json the container was created from (exec's defaults).
    Spec config(const std::string& id) const;

    // Waits for a started process, relaying the console and forwarding
    // SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH to it.
    // Returns its exit status in shell form (128+N for a signal).
    static int wait(Started& s);

private:
    Started launch(const std::string& id, const CreateOptions& opts, bool wait_for_start);
    void warn(const std::string& msg) const;

    StateStore store_;
    std::function<void(const std::string&)> warn_;
};

}  // namespace skiff::oci
