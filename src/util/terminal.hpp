// Puts a terminal in raw mode for the life of the object (-it sessions).
#pragma once

#include <termios.h>
#include <unistd.h>

namespace skiff {

class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (::tcgetattr(fd_, &saved_) != 0) {
            fd_ = -1;
            return;
        }
        struct termios raw = saved_;
        ::cfmakeraw(&raw);
        ::tcsetattr(fd_, TCSANOW, &raw);
    }
    ~RawTerminal() {
        if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    struct termios saved_ {};
};

}  // namespace skiff
