#include "registry/prompt.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::registry {

namespace {

// Restores the terminal's echo when it goes out of scope, on every path.
class EchoOff {
public:
    explicit EchoOff(int fd) : fd_(fd) {
        if (::tcgetattr(fd_, &saved_) == 0) {
            termios t = saved_;
            t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            active_ = ::tcsetattr(fd_, TCSAFLUSH, &t) == 0;
        }
    }
    ~EchoOff() {
        if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

std::string read_line(int fd) {
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read from terminal");
        if (n == 0) {
            if (line.empty()) throw Error("no input: cannot read from the terminal");
            break;
        }
        if (c == '\n') break;
        line += c;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace

std::string prompt_line(const std::string& question, bool secret) {
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    int in = tty ? tty.get() : 0;
    if (!tty && !::isatty(0))
        throw Error("cannot prompt for " + std::string(secret ? "a password" : "a username") +
                    ": no terminal (use the flags or --password-stdin)");
    std::fputs(question.c_str(), stderr);
    std::fflush(stderr);
    std::string line;
    if (secret) {
        EchoOff off(in);
        line = read_line(in);
        std::fputs("\n", stderr);
    } else {
        line = read_line(in);
    }
    return line;
}

std::string read_stdin_secret() {
    std::string data;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read stdin");
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) data.pop_back();
    return data;
}

}  // namespace skiff::registry
