#include "util/unixsock.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fcntl.h>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::unixsock {

namespace {

// sun_path holds 108 bytes, and runtime dirs with 64-hex IDs get close: a
// longer path is reached through /proc/self/fd of its directory.
struct Address {
    sockaddr_un addr{};
    UniqueFd dir;
};

Address address(const std::string& path) {
    Address a;
    a.addr.sun_family = AF_UNIX;
    std::string p = path;
    if (p.size() >= sizeof a.addr.sun_path) {
        a.dir = UniqueFd(::open(fs::dirname(path).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!a.dir) throw_errno("open " + fs::dirname(path));
        p = "/proc/self/fd/" + std::to_string(a.dir.get()) + "/" + fs::basename(path);
        if (p.size() >= sizeof a.addr.sun_path) throw Error("socket name too long: " + path);
    }
    std::memcpy(a.addr.sun_path, p.c_str(), p.size() + 1);
    return a;
}

}  // namespace

UniqueFd listen_at(const std::string& path) {
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    ::unlink(path.c_str());
    auto a = address(path);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr) < 0) throw_errno("bind " + path);
    if (::listen(s.get(), 16) < 0) throw_errno("listen " + path);
    return s;
}

UniqueFd connect_to(const std::string& path) {
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    auto a = address(path);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr) < 0) throw_errno("connect " + path);
    return s;
}

void send(int sock, const std::string& msg, const std::vector<int>& fds) {
    struct iovec iov {const_cast<char*>(msg.data()), msg.size()};
    struct msghdr mh {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    std::vector<char> ctrl;
    if (!fds.empty()) {
        ctrl.resize(CMSG_SPACE(sizeof(int) * fds.size()));
        mh.msg_control = ctrl.data();
        mh.msg_controllen = ctrl.size();
        struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    while (::sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) throw_errno("send");
    }
}

std::string recv(int sock, std::vector<UniqueFd>* fds) {
    char buf[4096];
    struct iovec iov {buf, sizeof buf};
    struct msghdr mh {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(struct cmsghdr) char ctrl[CMSG_SPACE(sizeof(int) * 8)];
    mh.msg_control = ctrl;
    mh.msg_controllen = sizeof ctrl;
    ssize_t n;
    while ((n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0) {
        if (errno != EINTR) return "";
    }
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int got[8];
        std::memcpy(got, CMSG_DATA(c), sizeof(int) * count);
        for (size_t i = 0; i < count; ++i) {
            if (fds) fds->emplace_back(got[i]);
            else ::close(got[i]);
        }
    }
    return std::string(buf, static_cast<size_t>(n));
}

bool LineReader::fill(int fd, std::vector<UniqueFd>* fds) {
    std::string got = recv(fd, fds);
    if (got.empty()) return false;
    buf_ += got;
    return true;
}

bool LineReader::next(std::string& line) {
    auto nl = buf_.find('\n');
    if (nl == std::string::npos) return false;
    line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    return true;
}

}  // namespace skiff::unixsock
