// Sockets on 127.0.0.1 for the unit tests of the DNS responder (UDP and TCP).
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstdint>

#include "util/fd.hpp"

namespace skiff::test {

inline sockaddr_in loopback(uint16_t port = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

// Bound to 127.0.0.1 (port 0: a free one); a TCP socket is not listening yet.
inline UniqueFd bound_loopback(int type, uint16_t port = 0) {
    UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    int one = 1;
    if (type == SOCK_STREAM) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(port);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

inline sockaddr_in addr_of(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    return a;
}

}  // namespace skiff::test
