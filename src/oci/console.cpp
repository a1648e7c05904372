#include "oci/console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "oci/sync.hpp"
#include "util/error.hpp"

namespace skiff::oci {

static_assert(sizeof(struct termios) <= 64, "RawTerminal::saved_ too small");

UniqueFd connect_unix(const std::string& path, const std::string& what) {
    struct sockaddr_un addr {};
    if (path.size() >= sizeof(addr.sun_path)) throw Error(what + " path is too long: " + path);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0)
        throw_errno("connect to " + what + " " + path);
    return fd;
}

void setup_console(int sock, std::optional<std::pair<unsigned, unsigned>> size, uid_t uid, gid_t gid) {
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("open /dev/ptmx in the container (is /dev/pts mounted?)");
    if (::unlockpt(master.get()) < 0) throw_errno("unlockpt");
    // The slave straight from the master: no lookup of /dev/pts/N by name.
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("open the pty slave");
    unsigned n = 0;
    if (::ioctl(master.get(), TIOCGPTN, &n) < 0) throw_errno("TIOCGPTN");
    if (size) {
        struct winsize ws {};
        ws.ws_row = static_cast<unsigned short>(size->first);
        ws.ws_col = static_cast<unsigned short>(size->second);
        if (::ioctl(master.get(), TIOCSWINSZ, &ws) < 0) throw_errno("set console size");
    }
    if (::fchown(slave.get(), uid, gid) < 0) throw_errno("chown the pty slave");
    send_fd(sock, "/dev/pts/" + std::to_string(n), master.get());
    for (int i = 0; i < 3; ++i)
        if (::dup2(slave.get(), i) < 0) throw_errno("dup2 pty slave");
    if (::ioctl(0, TIOCSCTTY, 0) < 0) throw_errno("make the pty the controlling terminal");
}

RawTerminal::RawTerminal(int fd) {
    struct termios t;
    if (::tcgetattr(fd, &t) < 0) return;  // not a terminal: nothing to do
    std::memcpy(saved_, &t, sizeof(t));
    ::cfmakeraw(&t);
    if (::tcsetattr(fd, TCSANOW, &t) == 0) {
        fd_ = fd;
        active_ = true;
    }
}

RawTerminal::~RawTerminal() {
    if (!active_) return;
    struct termios t;
    std::memcpy(&t, saved_, sizeof(t));
    ::tcsetattr(fd_, TCSANOW, &t);
}

void copy_window_size(int from_tty, int master) {
    struct winsize ws {};
    if (::ioctl(from_tty, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

}  // namespace skiff::oci
