// Child processes as RAII values: a Child that goes out of scope unwaited is
// killed and reaped, so no error path leaks a process.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace skiff {

class Child {
public:
    Child() = default;
    explicit Child(pid_t pid) : pid_(pid) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    Child(Child&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
    Child& operator=(Child&& o) noexcept;
    ~Child();

    pid_t pid() const { return pid_; }
    // Waits and returns the exit status in shell form (128+N for a signal).
    int wait();
    // Forget the child: it is someone else's to reap.
    pid_t release();

private:
    pid_t pid_ = -1;
};

struct ProcessResult {
    int status = 0;  // shell form
    std::string out;
    std::string err;
};

// Runs argv (searched in $PATH), capturing output. stdin is /dev/null, or
// `input` when given (small: a credential helper's request fits a pipe).
ProcessResult run_capture(const std::vector<std::string>& argv, const std::optional<std::string>& input = std::nullopt);

// In a forked child: clears the signal mask (the parent blocks signals for
// its signalfd) and execs `path` with `argv`; on failure says why on
// stderr and exits 127. Never returns.
[[noreturn]] void exec_in_child(const std::string& path, const std::vector<std::string>& argv);

// Closes every descriptor from `first` up: a long-lived child (a helper,
// a daemon) must hold nothing of its parent's (a pipe someone waits on).
void close_fds_from(int first) noexcept;
// Closes every descriptor from 3 up except those in `keep` (negative
// entries are ignored): close_range() over the gaps, no /proc walk.
void close_fds_except(std::vector<int> keep) noexcept;

// The running binary's real path (not /proc/self/exe: ps would show "exe").
std::string self_exe();

// Shell-form status from a waitpid status.
int shell_status(int wstatus);

// When process `pid` started, in ns since the epoch (to about a second:
// the boot time is known in whole seconds); nullopt when it is gone. A pid
// recorded long ago may name another process by now: compare its start.
std::optional<int64_t> process_start_ns(pid_t pid);

}  // namespace skiff
