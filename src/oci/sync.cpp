#include "oci/sync.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace skiff::oci {

std::pair<Channel, Channel> Channel::pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    return {Channel(UniqueFd(sv[0])), Channel(UniqueFd(sv[1]))};
}

void Channel::send(std::string_view msg) const {
    while (::send(fd_.get(), msg.data(), msg.size(), MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) throw_errno("sync: send");
    }
}

void Channel::send_fd(std::string_view msg, int fd) const { oci::send_fd(fd_.get(), msg, fd); }

void send_fd(int sock, std::string_view msg, int fd) {
    struct iovec iov {const_cast<char*>(msg.data()), msg.size()};
    alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr mh {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = buf;
    mh.msg_controllen = sizeof(buf);
    struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    while (::sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) throw_errno("sync: sendmsg");
    }
}

std::optional<std::string> Channel::recv(UniqueFd* fd) const {
    char data[8192];
    struct iovec iov {data, sizeof(data)};
    alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr mh {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = buf;
    mh.msg_controllen = sizeof(buf);
    ssize_t n;
    while ((n = ::recvmsg(fd_.get(), &mh, MSG_CMSG_CLOEXEC)) < 0) {
        if (errno != EINTR) throw_errno("sync: recvmsg");
    }
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got;
            std::memcpy(&got, CMSG_DATA(c), sizeof(int));
            UniqueFd owned(got);
            if (fd) *fd = std::move(owned);
        }
    }
    if (n == 0) return std::nullopt;
    return std::string(data, static_cast<size_t>(n));
}

}  // namespace skiff::oci
