#include "oci/hooks.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "oci/sys.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/process.hpp"

namespace skiff::oci {

namespace {

// The state goes through a memfd rather than a pipe: a hook that never
// reads stdin cannot block us, however large the annotations are.
UniqueFd state_memfd(const std::string& state) {
    UniqueFd fd(::memfd_create("oci-state", MFD_CLOEXEC));
    if (!fd) throw_errno("memfd_create");
    size_t off = 0;
    while (off < state.size()) {
        ssize_t n = ::write(fd.get(), state.data() + off, state.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write hook state");
        }
        off += static_cast<size_t>(n);
    }
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw_errno("lseek");
    return fd;
}

std::vector<char*> cstrings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

void run_one(const Hook& h, const std::string& state, const char* kind) {
    UniqueFd in = state_memfd(state);
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    auto argv = cstrings(args);
    auto envp = cstrings(h.env);
    int pidfd = -1;
    sys::CloneArgs ca;
    ca.flags = sys::kClonePidfd;
    ca.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    ca.exit_signal = SIGCHLD;
    pid_t pid = sys::clone3(ca);
    if (pid < 0) throw_errno(std::string(kind) + " hook " + h.path + ": clone3");
    if (pid == 0) {
        ::dup2(in.get(), 0);
        sigset_t all;
        sigemptyset(&all);
        ::sigprocmask(SIG_SETMASK, &all, nullptr);
        ::execve(h.path.c_str(), argv.data(), envp.data());
        int err = errno;
        ::dprintf(2, "%s hook %s: exec: %s\n", kind, h.path.c_str(), std::strerror(err));
        ::_exit(127);
    }
    Child child(pid);
    UniqueFd pfd(pidfd);
    in.reset();
    if (h.timeout) {
        struct pollfd p {pfd.get(), POLLIN, 0};
        int ms = *h.timeout > INT32_MAX / 1000 ? INT32_MAX : *h.timeout * 1000;
        int r;
        while ((r = ::poll(&p, 1, ms)) < 0 && errno == EINTR) {
        }
        if (r == 0) {
            // Child's destructor kills and reaps it.
            throw Error(std::string(kind) + " hook " + h.path + ": timed out after " +
                        std::to_string(*h.timeout) + "s");
        }
    }
    int st = child.wait();
    if (st != 0) {
        std::string why = st > 128 ? "killed by signal " + std::to_string(st - 128)
                                   : "exit status " + std::to_string(st);
        throw Error(std::string(kind) + " hook " + h.path + " failed: " + why);
    }
}

}  // namespace

void run_hooks(const std::vector<Hook>& hooks, const std::string& state, const char* kind) {
    for (auto& h : hooks) run_one(h, state, kind);
}

void run_hooks_warn(const std::vector<Hook>& hooks, const std::string& state, const char* kind,
                    const std::function<void(const std::string&)>& warn) {
    for (auto& h : hooks) {
        try {
            run_one(h, state, kind);
        } catch (const std::exception& e) {
            warn(e.what());
        }
    }
}

}  // namespace skiff::oci
