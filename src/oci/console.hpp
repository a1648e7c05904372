// Terminals: the container's pty (created inside the container from its
// own devpts, the master handed out over a unix socket, as runc does for
// --console-socket) and the relay a foreground `run -t` needs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "util/fd.hpp"

namespace skiff::oci {

// Runtime side, before the container exists: connects to a unix socket
// (--console-socket, linux.seccomp.listenerPath); `what` names it in errors.
UniqueFd connect_unix(const std::string& path, const std::string& what);

// In the container, after pivot_root: opens /dev/ptmx, sends the master
// over `sock` (SCM_RIGHTS), makes the slave fds 0-2 and the controlling
// terminal, owned by the process user. size: height, width.
void setup_console(int sock, std::optional<std::pair<unsigned, unsigned>> size, uid_t uid, gid_t gid);

// Puts a terminal in raw mode for as long as the object lives.
class RawTerminal {
public:
    explicit RawTerminal(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_ = -1;
    bool active_ = false;
    unsigned char saved_[64] = {};  // struct termios
};

// Copies our terminal's window size to `master` (SIGWINCH).
void copy_window_size(int from_tty, int master);

}  // namespace skiff::oci
