#include "util/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

extern char** environ;

namespace skiff {

Child& Child::operator=(Child&& o) noexcept {
    if (this != &o) {
        this->~Child();
        pid_ = o.pid_;
        o.pid_ = -1;
    }
    return *this;
}

Child::~Child() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
}

void exec_in_child(const std::string& path, const std::vector<std::string>& argv) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // An ignored SIGPIPE survives exec; programs expect the default (pasta
    // even refuses to start when signal() reports SIG_IGN as the old handler).
    ::signal(SIGPIPE, SIG_DFL);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execve(path.c_str(), args.data(), environ);
    std::fprintf(stderr, "exec %s: %s\n", path.c_str(), std::strerror(errno));
    ::_exit(127);
}

namespace {

// close_range() (Linux 5.9); before it, the descriptors /proc lists.
void close_fd_range(unsigned first, unsigned last) noexcept {
    if (::syscall(SYS_close_range, first, last, 0U) == 0 || errno != ENOSYS) return;
    std::vector<int> doomed;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        int self = ::dirfd(d);
        while (auto* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            int fd = std::atoi(e->d_name);
            if (fd != self && static_cast<unsigned>(fd) >= first && static_cast<unsigned>(fd) <= last)
                doomed.push_back(fd);
        }
        ::closedir(d);
    }
    for (int fd : doomed) ::close(fd);
}

}  // namespace

void close_fds_from(int first) noexcept { close_fd_range(static_cast<unsigned>(first), ~0U); }

void close_fds_except(std::vector<int> keep) noexcept {
    std::sort(keep.begin(), keep.end());
    unsigned next = 3;
    for (int fd : keep) {
        if (fd < static_cast<int>(next)) continue;  // below 3, negative or a repeat
        if (static_cast<unsigned>(fd) > next) close_fd_range(next, static_cast<unsigned>(fd) - 1);
        next = static_cast<unsigned>(fd) + 1;
    }
    close_fds_from(static_cast<int>(next));
}

std::string self_exe() {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw_errno("readlink /proc/self/exe");
    return std::string(self, static_cast<size_t>(n));
}

int shell_status(int wstatus) {
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return 255;
}

int Child::wait() {
    if (pid_ <= 0) throw Error("wait: no child");
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0) {
        if (errno != EINTR) throw_errno("waitpid");
    }
    pid_ = -1;
    return shell_status(st);
}

pid_t Child::release() {
    pid_t p = pid_;
    pid_ = -1;
    return p;
}

ProcessResult run_capture(const std::vector<std::string>& argv, const std::optional<std::string>& input) {
    if (argv.empty()) throw Error("run: empty command");
    int in_pipe[2] = {-1, -1};
    if (input && ::pipe2(in_pipe, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd in_r(in_pipe[0]), in_w(in_pipe[1]);
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (input) posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
    else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid;
    int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw Error("exec " + argv[0] + ": " + std::strerror(rc), kExitNotFound);
    Child child(pid);
    in_r.reset();
    out_w.reset();
    err_w.reset();
    if (input) {
        std::string_view rest = *input;
        while (!rest.empty()) {
            ssize_t n = ::write(in_w.get(), rest.data(), rest.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;  // the program quit early: its status tells
            rest.remove_prefix(static_cast<size_t>(n));
        }
        in_w.reset();
    }

    ProcessResult res;
    struct pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    int open_count = 2;
    char buf[8192];
    while (open_count > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll");
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                fds[i].fd = -1;
                --open_count;
                continue;
            }
            (i == 0 ? res.out : res.err).append(buf, static_cast<size_t>(n));
        }
    }
    res.status = child.wait();
    return res;
}

namespace {

int64_t boot_time_s() {
    static const int64_t btime = [] {
        auto text = fs::read_file_if_exists("/proc/stat").value_or("");
        auto at = text.find("\nbtime ");
        return at == std::string::npos ? int64_t{0} : std::strtoll(text.c_str() + at + 7, nullptr, 10);
    }();
    return btime;
}

}  // namespace

std::optional<int64_t> process_start_ns(pid_t pid) {
    auto stat = fs::read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return std::nullopt;
    // "pid (comm) state …": comm may hold spaces and parentheses; starttime
    // is the 22nd field, the 20th after the comm.
    size_t close = stat->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(stat->substr(close + 2));
    std::string field;
    for (int i = 0; i < 20 && rest >> field; ++i) {
    }
    if (!rest) return std::nullopt;
    long ticks_per_s = ::sysconf(_SC_CLK_TCK);
    int64_t ticks = std::strtoll(field.c_str(), nullptr, 10);
    return boot_time_s() * 1'000'000'000LL + ticks * (1'000'000'000LL / (ticks_per_s > 0 ? ticks_per_s : 100));
}

}  // namespace skiff
