// Thin wrappers for the system calls glibc 2.36 does not wrap, and small
// helpers around the ones it does. Everything returns -1/errno like libc.
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace skiff::oci::sys {

// struct clone_args of <linux/sched.h>, spelled out so that this header
// does not fight with glibc's <sched.h> over the CLONE_* macros.
struct CloneArgs {
    uint64_t flags = 0;
    uint64_t pidfd = 0;
    uint64_t child_tid = 0;
    uint64_t parent_tid = 0;
    uint64_t exit_signal = 0;
    uint64_t stack = 0;
    uint64_t stack_size = 0;
    uint64_t tls = 0;
    uint64_t set_tid = 0;
    uint64_t set_tid_size = 0;
    uint64_t cgroup = 0;
};

inline constexpr uint64_t kClonePidfd = 0x00001000;        // CLONE_PIDFD
inline constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;  // CLONE_INTO_CGROUP

// fork()-like clone3: returns 0 in the child. The caller must be single
// threaded (it is: the runtime never starts threads).
inline pid_t clone3(CloneArgs& args) {
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof(args)));
}

inline int openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve, uint64_t mode = 0) {
    struct open_how how {};
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

// glibc 2.36's <sys/pidfd.h> lacks extern "C": call the kernel directly.
inline int pidfd_open(pid_t pid, unsigned flags = 0) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

inline int pidfd_send_signal(int pidfd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline int pivot_root(const char* new_root, const char* put_old) {
    return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

// "/proc/self/fd/N": names an O_PATH fd for calls that only take paths.
inline std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace skiff::oci::sys
