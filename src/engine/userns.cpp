#include "engine/userns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/process.hpp"

extern char** environ;

namespace skiff::engine {

namespace {

std::vector<std::string> map_args(const char* tool, pid_t pid, long long own_id, const std::vector<host::IdRange>& ranges) {
    std::vector<std::string> args = {tool, std::to_string(pid), "0", std::to_string(own_id), "1"};
    long long next = 1;
    for (auto& r : ranges) {
        args.push_back(std::to_string(next));
        args.push_back(std::to_string(r.start));
        args.push_back(std::to_string(r.count));
        next += r.count;
    }
    return args;
}

void write_proc(pid_t pid, const char* file, const std::string& content) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        throw_errno("write " + path);
}

void apply_mapping(pid_t pid) {
    auto uids = host::subordinate_ranges("/etc/subuid");
    auto gids = host::subordinate_ranges("/etc/subgid");
    if (uids.empty() || gids.empty()) {
        static bool warned = false;
        if (!warned)
            std::fprintf(stderr,
                         "WARNING: no subordinate ID range for %s in /etc/subuid or /etc/subgid: mapping only your own "
                         "ID (files of other owners in images will belong to you). Add one with: sudo usermod "
                         "--add-subuids 100000-165535 --add-subgids 100000-165535 %s\n",
                         host::user_name().c_str(), host::user_name().c_str());
        warned = true;
        write_proc(pid, "setgroups", "deny");
        write_proc(pid, "uid_map", "0 " + std::to_string(getuid()) + " 1\n");
        write_proc(pid, "gid_map", "0 " + std::to_string(getgid()) + " 1\n");
        return;
    }
    for (auto& args : {map_args("newuidmap", pid, getuid(), uids), map_args("newgidmap", pid, getgid(), gids)}) {
        const std::string& tool = args[0];
        auto res = run_capture(args);
        if (res.status != 0)
            throw Error(tool + " failed: " + (res.err.empty() ? "exit " + std::to_string(res.status) : res.err) +
                        " (is the uidmap package installed and are /etc/subuid and /etc/subgid right?)");
    }
}

}  // namespace

pid_t fork_into_userns(const std::function<int()>& body, bool die_with_parent) {
    bool rootless = geteuid() != 0;
    int to_child[2], to_parent[2];
    if (::pipe2(to_child, O_CLOEXEC) < 0 || ::pipe2(to_parent, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd child_r(to_child[0]), parent_w(to_child[1]), parent_r(to_parent[0]), child_w(to_parent[1]);
    std::fflush(nullptr);
    pid_t parent_pid = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        if (die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent_pid) _exit(kExitEngine);
        }
        char ok = 1;
        if (::unshare(rootless ? CLONE_NEWUSER | CLONE_NEWNS : CLONE_NEWNS) < 0) {
            ok = 0;
            std::fprintf(stderr, "Error: cannot create a %s namespace: %s\n", rootless ? "user" : "mount",
                         std::strerror(errno));
        }
        if (::write(child_w.get(), &ok, 1) != 1 || !ok) _exit(kExitEngine);
        char go = 0;
        if (::read(child_r.get(), &go, 1) != 1 || go != 1) _exit(kExitEngine);
        if (rootless && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)) {
            std::fprintf(stderr, "Error: cannot become root in the user namespace: %s\n", std::strerror(errno));
            _exit(kExitEngine);
        }
        child_r.reset();
        child_w.reset();
        int rc = kExitEngine;
        try {
            rc = body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "Error: %s\n", e.what());
        }
        std::fflush(nullptr);
        _exit(rc);
    }
    Child child(pid);
    child_r.reset();
    child_w.reset();
    char ok = 0;
    if (::read(parent_r.get(), &ok, 1) != 1 || !ok) {
        int rc = child.wait();
        throw Error("cannot set up the container's namespaces (exit " + std::to_string(rc) + ")");
    }
    char go = 1;
    try {
        if (rootless) apply_mapping(pid);
    } catch (...) {
        go = 0;
        (void)!::write(parent_w.get(), &go, 1);
        throw;
    }
    if (::write(parent_w.get(), &go, 1) != 1) throw_errno("sync with namespace child");
    return child.release();
}

int reexec_in_userns(const std::vector<std::string>& argv) {
    pid_t pid = fork_into_userns(
        [&]() -> int {
            ::setenv(kInUsernsEnv, "1", 1);
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execve("/proc/self/exe", args.data(), environ);
            std::fprintf(stderr, "Error: re-exec of skiff in the user namespace: %s\n", std::strerror(errno));
            return kExitEngine;
        },
        true);
    // Signals meant for skiff reach the child too (Ctrl-C in a load).
    return Child(pid).wait();
}

}  // namespace skiff::engine
