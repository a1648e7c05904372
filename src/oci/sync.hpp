// The channel between the runtime and the process it turns into the
// container: a SOCK_SEQPACKET socketpair, so each message arrives whole.
// Both ends are close-on-exec: when the container's program starts, the
// runtime reads end-of-file, which is how it learns that execve succeeded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/fd.hpp"

namespace skiff::oci {

class Channel {
public:
    Channel() = default;
    explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}

    // A connected pair: first for the runtime, second for the child.
    static std::pair<Channel, Channel> pair();

    void send(std::string_view msg) const;
    // Sends msg with `fd` attached (SCM_RIGHTS).
    void send_fd(std::string_view msg, int fd) const;
    // Next message; nullopt at end-of-file. If the message carried an fd,
    // it is stored in *fd (when fd is given; otherwise it is closed).
    std::optional<std::string> recv(UniqueFd* fd = nullptr) const;

    int get() const { return fd_.get(); }
    void close() { fd_.reset(); }
    bool valid() const { return fd_.valid(); }

private:
    UniqueFd fd_;
};

// Sends `msg` with `fd` attached (SCM_RIGHTS) over any unix socket.
void send_fd(int sock, std::string_view msg, int fd);

// Messages. Text keeps them easy to read in strace.
inline constexpr std::string_view kMsgGo = "go";            // runtime -> child: "go <host pid>"
inline constexpr std::string_view kMsgReady = "ready";      // child: set up, waiting for start
inline constexpr std::string_view kMsgError = "error";      // child: "error <message>"
inline constexpr std::string_view kMsgConsole = "console";  // child: pty master attached
inline constexpr std::string_view kMsgMap = "map";          // child: "map": write my id maps
inline constexpr std::string_view kMsgPid = "pid";          // child: "pid <N>": the container init

}  // namespace skiff::oci
