// The container side: what the cloned child does, in order, between the
// clone and the execve of the container's program. It never returns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/seccomp.hpp"
#include "oci/spec.hpp"
#include "oci/sync.hpp"
#include "util/fd.hpp"

namespace skiff::oci {

struct InitConfig {
    const Spec* spec = nullptr;
    const Process* process = nullptr;  // spec->process, or the exec'd process
    std::string id;
    std::string bundle;  // absolute
    std::string rootfs;  // absolute
    std::string oci_version;
    Channel chan;                 // the child's end
    UniqueFd fifo;                // create: read end of the exec fifo
    UniqueFd console_socket;      // --console-socket; invalid: send the pty over chan
    SeccompProgram seccomp;       // compiled linux.seccomp (empty: none)
    UniqueFd seccomp_listener;    // connected linux.seccomp.listenerPath
    UniqueFd exec_root;           // exec: the container's root directory
    int stdio[3] = {-1, -1, -1};  // replacement stdio (-1: keep)
    int preserve_fds = 0;
    bool exec = false;            // joining a running container (no rootfs work, no hooks)
    bool new_userns = false;      // in a user namespace the clone created
    bool userns = false;          // in any user namespace other than the host's
    bool own_netns = false;
    bool new_cgroupns = false;
    // The runtime moves us into our cgroups while we set up (the move can
    // wait for an RCU grace period: milliseconds) and says "cgroup" when
    // done. We wait for it before anything that must happen inside them.
    bool cgroup_pending = false;
    std::vector<std::string> cgroup_dirs;  // the cgroups the runtime made for us (host paths)
    bool no_pivot = false;
    bool new_keyring = true;
    bool setgroups_denied = false;
    bool sync_hooks = false;      // ask the runtime to run prestart/createRuntime hooks
    bool die_with_parent = false; // SIGKILL when the process that started us dies
};

// Runs the setup and execs the process. On failure the error goes to the
// runtime over the channel (or to stderr once the runtime is gone) and the
// child exits. Never returns.
[[noreturn]] void container_init(InitConfig& cfg) noexcept;

// Finds args[0] in the PATH of `env` (as the container will see it), the
// way execvp would; throws "executable file not found in $PATH".
std::string find_program(const std::string& name, const std::vector<std::string>& env);

}  // namespace skiff::oci
