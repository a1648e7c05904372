#include "net/port_relay.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace skiff::net {

namespace {

enum class Kind { Listener, StreamClient, StreamServer, Flow };

struct Tag {
    Kind kind;
    void* obj;
};

constexpr size_t kBufSize = 1 << 18;
constexpr auto kFlowIdle = std::chrono::seconds(60);

}  // namespace

struct PortRelay::Endpoint {
    std::string owner;
    UniqueFd fd;
    bool udp = false;
    sockaddr_in target{};
    Tag tag{Kind::Listener, nullptr};
};

// One direction of a TCP connection: src → buffer → dst.
struct Direction {
    int src = -1, dst = -1;
    std::vector<char> buf;
    size_t start = 0, pending = 0;
    bool eof = false, shut = false, blocked = false;
};

struct PortRelay::Stream {
    std::string owner;
    UniqueFd client, server;
    bool connected = false, dead = false;
    Direction up, down;  // client → server, server → client
    uint32_t client_events = 0, server_events = 0;
    Tag client_tag{Kind::StreamClient, nullptr}, server_tag{Kind::StreamServer, nullptr};
};

struct PortRelay::Flow {
    std::string owner;
    Endpoint* listener = nullptr;
    sockaddr_storage client{};
    socklen_t client_len = 0;
    UniqueFd sock;
    std::chrono::steady_clock::time_point last_used;
    Tag tag{Kind::Flow, nullptr};
};

PortRelay::PortRelay() : ep_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!ep_) throw_errno("epoll_create1");
}

PortRelay::~PortRelay() = default;

void PortRelay::watch(int fd, uint32_t events, void* tag, bool add) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = tag;
    if (::epoll_ctl(ep_.get(), add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0) throw_errno("epoll_ctl");
}

void PortRelay::add(const std::string& owner, UniqueFd listener, bool udp, const sockaddr_in& target) {
    auto e = std::make_unique<Endpoint>();
    e->owner = owner;
    e->fd = std::move(listener);
    e->udp = udp;
    e->target = target;
    e->tag.obj = e.get();
    ::fcntl(e->fd.get(), F_SETFL, ::fcntl(e->fd.get(), F_GETFL) | O_NONBLOCK);
    watch(e->fd.get(), EPOLLIN, &e->tag, true);
    endpoints_.push_back(std::move(e));
}

void PortRelay::remove(const std::string& owner) {
    // Closing an fd takes it out of the epoll set.
    std::erase_if(flows_, [&](auto& f) { return f->owner == owner; });
    std::erase_if(streams_, [&](auto& s) { return s->owner == owner; });
    std::erase_if(endpoints_, [&](auto& e) { return e->owner == owner; });
}

void PortRelay::run() {
    epoll_event evs[64];
    int n = ::epoll_wait(ep_.get(), evs, 64, 0);
    for (int i = 0; i < n; ++i) {
        auto* tag = static_cast<Tag*>(evs[i].data.ptr);
        switch (tag->kind) {
        case Kind::Listener: {
            auto* e = static_cast<Endpoint*>(tag->obj);
            e->udp ? udp_in(*e) : accept_tcp(*e);
            break;
        }
        case Kind::StreamClient:
        case Kind::StreamServer:
            pump(*static_cast<Stream*>(tag->obj));
            break;
        case Kind::Flow:
            flow_in(*static_cast<Flow*>(tag->obj));
            break;
        }
    }
    std::erase_if(streams_, [](auto& s) { return s->dead; });
}

namespace {

// The client's IPv4 address (v4-mapped ones of a dual-stack listener
// included), unless it is a loopback one: those cannot cross a bridge.
std::optional<sockaddr_in> foreign_ipv4(const sockaddr_storage& ss) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    if (ss.ss_family == AF_INET) {
        a = reinterpret_cast<const sockaddr_in&>(ss);
    } else if (ss.ss_family == AF_INET6) {
        auto& a6 = reinterpret_cast<const sockaddr_in6&>(ss);
        if (!IN6_IS_ADDR_V4MAPPED(&a6.sin6_addr)) return std::nullopt;
        std::memcpy(&a.sin_addr, a6.sin6_addr.s6_addr + 12, 4);
        a.sin_port = a6.sin6_port;
    } else {
        return std::nullopt;
    }
    if ((ntohl(a.sin_addr.s_addr) >> 24) == 127) return std::nullopt;
    return a;
}

}  // namespace

UniqueFd PortRelay::socket_to(const sockaddr_storage& client, int type) {
    UniqueFd s(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s || !transparent_) return s;
    auto from = foreign_ipv4(client);
    if (!from) return s;
    int one = 1;
    // Best effort: without it the container sees our address, as before.
    if (::setsockopt(s.get(), SOL_IP, IP_TRANSPARENT, &one, sizeof one) < 0) return s;
    if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&*from), sizeof *from) == 0) return s;
    // The client's port is taken here (another client of the same
    // address and port, through another published port): any port will do.
    from->sin_port = 0;
    if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&*from), sizeof *from) == 0) return s;
    return UniqueFd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

void PortRelay::accept_tcp(Endpoint& l) {
    for (;;) {
        sockaddr_storage peer{};
        socklen_t peer_len = sizeof peer;
        UniqueFd c(::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!c) return;  // EAGAIN, or a connection that went away before we took it
        auto s = std::make_unique<Stream>();
        s->owner = l.owner;
        s->client = std::move(c);
        s->server = socket_to(peer, SOCK_STREAM);
        if (!s->server) continue;
        if (::connect(s->server.get(), reinterpret_cast<const sockaddr*>(&l.target), sizeof l.target) < 0 &&
            errno != EINPROGRESS)
            continue;  // closing the client tells it
        for (Direction* d : {&s->up, &s->down}) d->buf.resize(kBufSize);
        s->up.src = s->down.dst = s->client.get();
        s->up.dst = s->down.src = s->server.get();
        s->client_tag.obj = s->server_tag.obj = s.get();
        // Nothing is read from the client before the server accepted.
        s->client_events = 0;
        s->server_events = EPOLLOUT;
        watch(s->client.get(), 0, &s->client_tag, true);
        watch(s->server.get(), EPOLLOUT, &s->server_tag, true);
        streams_.push_back(std::move(s));
    }
}

namespace {

// Moves what it can; false on a hard error (the connection is done).
// A plain copy through a buffer of ours: it keeps up with the bridge
// (10 Gbit/s here) and needs no pipe pair per connection.
bool move_data(Direction& d) {
    d.blocked = false;
    for (int round = 0; round < 16; ++round) {
        if (d.pending > 0) {
            ssize_t n = ::send(d.dst, d.buf.data() + d.start, d.pending, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                d.pending -= static_cast<size_t>(n);
                d.start = d.pending == 0 ? 0 : d.start + static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                d.blocked = true;
                return true;
            }
            return false;
        }
        if (d.eof) break;
        ssize_t n = ::recv(d.src, d.buf.data(), d.buf.size(), MSG_DONTWAIT);
        if (n > 0) {
            d.pending = static_cast<size_t>(n);
            d.start = 0;
            continue;
        }
        if (n == 0) {
            d.eof = true;
            break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        return false;
    }
    // Out of rounds with data still held: wait for the destination, or
    // nothing would ever wake us for it (the source is not polled meanwhile).
    if (d.pending > 0) d.blocked = true;
    if (d.eof && d.pending == 0 && !d.shut) {
        ::shutdown(d.dst, SHUT_WR);
        d.shut = true;
    }
    return true;
}

uint32_t wants(const Direction& reading, const Direction& writing) {
    uint32_t ev = 0;
    if (!reading.eof && reading.pending == 0) ev |= EPOLLIN;
    if (writing.blocked) ev |= EPOLLOUT;
    return ev;
}

}  // namespace

void PortRelay::pump(Stream& s) {
    if (s.dead) return;
    if (!s.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(s.server.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
            if (err == EINPROGRESS) return;
            close_stream(&s);
            return;
        }
        s.connected = true;
    }
    if (!move_data(s.up) || !move_data(s.down)) {
        close_stream(&s);
        return;
    }
    if (s.up.shut && s.down.shut) {
        close_stream(&s);
        return;
    }
    uint32_t ce = wants(s.up, s.down), se = wants(s.down, s.up);
    if (ce != s.client_events) watch(s.client.get(), ce, &s.client_tag, false), s.client_events = ce;
    if (se != s.server_events) watch(s.server.get(), se, &s.server_tag, false), s.server_events = se;
}

void PortRelay::close_stream(Stream* s) {
    s->dead = true;
    ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, s->client.get(), nullptr);
    ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, s->server.get(), nullptr);
    s->client.reset();
    s->server.reset();
}

void PortRelay::udp_in(Endpoint& l) {
    char buf[65536];
    for (;;) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(l.fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) return;
        Flow* flow = nullptr;
        for (auto& f : flows_)
            if (f->listener == &l && f->client_len == len && std::memcmp(&f->client, &from, len) == 0) flow = f.get();
        if (!flow) {
            auto f = std::make_unique<Flow>();
            f->owner = l.owner;
            f->listener = &l;
            f->client = from;
            f->client_len = len;
            f->sock = socket_to(from, SOCK_DGRAM);
            if (!f->sock ||
                ::connect(f->sock.get(), reinterpret_cast<const sockaddr*>(&l.target), sizeof l.target) < 0)
                continue;
            f->tag.obj = f.get();
            watch(f->sock.get(), EPOLLIN, &f->tag, true);
            flow = f.get();
            flows_.push_back(std::move(f));
        }
        flow->last_used = std::chrono::steady_clock::now();
        ::send(flow->sock.get(), buf, static_cast<size_t>(n), 0);
    }
}

void PortRelay::flow_in(Flow& f) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(f.sock.get(), buf, sizeof buf, 0);
        if (n < 0) return;
        f.last_used = std::chrono::steady_clock::now();
        ::sendto(f.listener->fd.get(), buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&f.client),
                 f.client_len);
    }
}

void PortRelay::expire(std::chrono::steady_clock::time_point now) {
    std::erase_if(flows_, [&](auto& f) { return now - f->last_used > kFlowIdle; });
}

}  // namespace skiff::net
