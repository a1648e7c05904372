#include "net/dns_tcp.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace skiff::net {

namespace {

// Reads and accepts per handle(): enough to drain bursts, few enough not to
// starve the daemon's other fds.
constexpr int kBatch = 16;

uint16_t get16(std::span<const uint8_t> p, size_t at) { return static_cast<uint16_t>(p[at] << 8 | p[at + 1]); }

// The upstream's answer is to the question we sent (TCP needs no random ids:
// nobody off-path can inject into the stream, but a confused server can).
bool answers(const DnsQuery& q, std::span<const uint8_t> reply) {
    if (reply.size() < kDnsHeaderSize || get16(reply, 0) != q.id || !(reply[2] & (kDnsFlagQr >> 8))) return false;
    uint16_t qdcount = get16(reply, 4);
    // Some servers leave the question out of their errors.
    if (qdcount == 0) return (reply[3] & 0xF) != 0;
    if (qdcount != 1) return false;
    size_t offset = kDnsHeaderSize;
    auto got = parse_dns_question(reply, offset);
    return got && got->name == q.question.name && got->type == q.question.type && got->klass == q.question.klass;
}

}  // namespace

void DnsStreamReader::feed(std::span<const uint8_t> data) {
    if (broken_) return;
    // Drop what was taken once it is most of the buffer: appending stays amortised O(1).
    if (start_ > 0 && start_ >= buf_.size() / 2) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(start_));
        start_ = 0;
    }
    buf_.insert(buf_.end(), data.begin(), data.end());
}

std::optional<std::vector<uint8_t>> DnsStreamReader::next() {
    if (broken_ || buffered() < 2) return std::nullopt;
    size_t len = get16(buf_, start_);
    if (len == 0) {
        broken_ = true;
        buf_.clear();
        start_ = 0;
        return std::nullopt;
    }
    if (buffered() < 2 + len) return std::nullopt;
    auto first = buf_.begin() + static_cast<ptrdiff_t>(start_ + 2);
    std::vector<uint8_t> out(first, first + static_cast<ptrdiff_t>(len));
    start_ += 2 + len;
    if (start_ == buf_.size()) {
        buf_.clear();
        start_ = 0;
    }
    return out;
}

std::vector<uint8_t> dns_tcp_frame(std::span<const uint8_t> message) {
    if (message.size() > kDnsTcpMaxMessage)
        throw Error("a DNS message of " + std::to_string(message.size()) + " bytes does not fit TCP's length prefix");
    std::vector<uint8_t> out;
    out.reserve(2 + message.size());
    out.push_back(static_cast<uint8_t>(message.size() >> 8));
    out.push_back(static_cast<uint8_t>(message.size()));
    out.insert(out.end(), message.begin(), message.end());
    return out;
}

bool DnsStreamWriter::flush(int fd) {
    while (pending() > 0) {
        ssize_t n = ::send(fd, buf_.data() + sent_, pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
        sent_ += static_cast<size_t>(n);
    }
    buf_.clear();
    sent_ = 0;
    return true;
}

DnsTcp::DnsTcp(DnsTcpCallbacks callbacks, DnsTcpOptions options)
    : callbacks_(std::move(callbacks)), options_(options), buf_(65536) {}

void DnsTcp::add_listener(const std::string& network, UniqueFd tcp_socket) {
    int flags = fcntl(tcp_socket.get(), F_GETFL);
    if (flags < 0 || fcntl(tcp_socket.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno("making the DNS TCP socket of network " + network + " non-blocking");
    if (::listen(tcp_socket.get(), 64) < 0) throw_errno("listening for DNS over TCP on network " + network);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(tcp_socket.get(), reinterpret_cast<sockaddr*>(&addr), &len) < 0)
        throw_errno("the address of the DNS TCP socket of network " + network);
    auto key = std::make_pair(network, static_cast<int>(addr.ss_family));
    if (auto old = listeners_.find(key); old != listeners_.end()) owners_.erase(old->second.get());
    owners_[tcp_socket.get()] = Owner{Kind::Listener, 0, network};
    listeners_[key] = std::move(tcp_socket);
}

void DnsTcp::remove_listener(const std::string& network, int family) {
    for (auto it = listeners_.begin(); it != listeners_.end();) {
        if (it->first.first != network || (family != AF_UNSPEC && it->first.second != family)) {
            ++it;
            continue;
        }
        owners_.erase(it->second.get());
        it = listeners_.erase(it);
    }
    if (family != AF_UNSPEC) return;
    std::vector<uint64_t> gone;
    for (const auto& [id, c] : conns_)
        if (c.network == network) gone.push_back(id);
    for (uint64_t id : gone) close_conn(id);
}

bool DnsTcp::readable(const Conn& c) const {
    return !c.eof && !c.in.broken() && c.in_flight < options_.max_in_flight && c.out.pending() < options_.max_output;
}

std::vector<pollfd> DnsTcp::poll_fds() const {
    std::vector<pollfd> out;
    for (const auto& [key, fd] : listeners_) out.push_back({fd.get(), POLLIN, 0});
    for (const auto& [id, c] : conns_) {
        short events = static_cast<short>((readable(c) ? POLLIN : 0) | (c.out.pending() ? POLLOUT : 0));
        // Nothing wanted (waiting for an upstream): polling it anyway would
        // spin on the POLLHUP of a client that went away.
        if (events) out.push_back({c.fd.get(), events, 0});
    }
    for (const auto& [id, f] : forwards_)
        if (f.fd)  // else waiting for the UDP answer
            out.push_back({f.fd.get(), static_cast<short>(!f.connected || f.out.pending() ? POLLOUT : POLLIN), 0});
    return out;
}

bool DnsTcp::handle(int fd, short revents) {
    auto it = owners_.find(fd);
    if (it == owners_.end()) return false;
    Owner owner = it->second;
    try {
        switch (owner.kind) {
        case Kind::Listener:
            accept_all(owner.network, fd);
            break;
        case Kind::Conn:
            if (revents & (POLLIN | POLLHUP | POLLERR)) read_conn(owner.id);
            if (conns_.contains(owner.id)) write_conn(owner.id);
            break;
        case Kind::Forward:
            step_forward(owner.id, revents);
            break;
        }
    } catch (...) {
        // Allocation failures and failing callbacks: the client retries;
        // the daemon must not go down.
        if (owner.kind == Kind::Conn) close_conn(owner.id);
    }
    return true;
}

void DnsTcp::accept_all(const std::string& network, int fd) {
    for (int i = 0; i < kBatch; i++) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        UniqueFd c(::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!c) return;
        // Over the cap: closed at once, the client falls back to another server or retries.
        if (conns_.size() >= options_.max_connections) continue;
        uint64_t id = next_id_++;
        Conn conn;
        conn.network = network;
        if (peer.ss_family == AF_INET) std::memcpy(&conn.peer, &peer, sizeof conn.peer);
        else if (peer.ss_family == AF_INET6) conn.peer6 = *reinterpret_cast<const sockaddr_in6*>(&peer);
        else continue;
        conn.idle_deadline = Clock::now() + options_.idle_timeout;
        owners_[c.get()] = Owner{Kind::Conn, id, network};
        conn.fd = std::move(c);
        conns_.emplace(id, std::move(conn));
    }
}

void DnsTcp::read_conn(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Conn& c = it->second;
    for (int i = 0; i < kBatch && readable(c); i++) {
        ssize_t n = ::recv(c.fd.get(), buf_.data(), buf_.size(), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) return close_conn(id);
        if (n == 0) {
            c.eof = true;
            break;
        }
        c.in.feed(std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
        c.idle_deadline = Clock::now() + options_.idle_timeout;
        // Answer as they come, so that the limits stop the reading in time.
        process(id);
        if (!conns_.contains(id)) return;
    }
}

void DnsTcp::process(uint64_t id) {
    for (;;) {
        auto it = conns_.find(id);
        if (it == conns_.end()) return;
        Conn& c = it->second;
        if (c.in_flight >= options_.max_in_flight || c.out.pending() >= options_.max_output) return;
        auto message = c.in.next();
        if (c.in.broken()) return close_conn(id);
        if (!message) return;
        on_message(id, *message);
    }
}

void DnsTcp::on_message(uint64_t id, std::span<const uint8_t> message) {
    Conn& c = conns_.at(id);
    DnsQuery q;
    std::optional<std::vector<uint8_t>> own;
    if (callbacks_.local) own = callbacks_.local(c.network, message, q);
    else own = std::vector<uint8_t>{};
    if (!own) return start_forward(id, q, message);
    if (!own->empty()) reply(id, *own);
}

void DnsTcp::reply(uint64_t conn, std::span<const uint8_t> message) {
    auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    it->second.out.push(dns_tcp_frame(message));
}

void DnsTcp::write_conn(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Conn& c = it->second;
    size_t before = c.out.pending();
    if (!c.out.flush(c.fd.get())) return close_conn(id);
    if (c.out.pending() < before) c.idle_deadline = Clock::now() + options_.idle_timeout;
    maybe_close(id);
}

void DnsTcp::maybe_close(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    const Conn& c = it->second;
    // The client is done sending: close once everything it asked is answered.
    if (c.eof && c.in_flight == 0 && c.out.pending() == 0) close_conn(id);
}

void DnsTcp::close_conn(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    for (auto f = forwards_.begin(); f != forwards_.end();) {
        if (f->second.conn == id) {
            owners_.erase(f->second.fd.get());
            f = forwards_.erase(f);
        } else {
            ++f;
        }
    }
    owners_.erase(it->second.fd.get());
    conns_.erase(it);
    deferred_.erase(id);
}

void DnsTcp::start_forward(uint64_t conn, const DnsQuery& q, std::span<const uint8_t> message) {
    Conn& c = conns_.at(conn);
    Forward f;
    f.conn = conn;
    f.query = q;
    f.framed = dns_tcp_frame(message);
    uint64_t id = next_id_++;
    forwards_.emplace(id, std::move(f));
    c.in_flight++;
    if (callbacks_.forward_udp)
        callbacks_.forward_udp(id, c.network, c.peer, c.peer6 ? &*c.peer6 : nullptr, q, message);
    else finish_forward(id, std::nullopt);
}

void DnsTcp::udp_answered(uint64_t token, std::optional<std::span<const uint8_t>> reply,
                          const sockaddr_in& upstream) {
    try {
        auto it = forwards_.find(token);
        if (it == forwards_.end()) return;  // the client went away
        Forward& f = it->second;
        if (!reply || reply->size() < kDnsHeaderSize || !((*reply)[2] & (kDnsFlagTc >> 8)))
            return finish_forward(token, reply);
        // Truncated: the same upstream over TCP has the whole answer.
        f.truncated.assign(reply->begin(), reply->end());
        f.upstream = upstream;
        if (!connect_upstream(token, f, Clock::now())) finish_forward(token, std::nullopt);
    } catch (...) {
        // Allocation only; the forward's client gets SERVFAIL or its connection closes.
        finish_forward(token, std::nullopt);
    }
}

bool DnsTcp::connect_upstream(uint64_t id, Forward& f, Clock::time_point now) {
    sockaddr_in u = f.upstream;
    u.sin_family = AF_INET;
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) return false;
    int rc = ::connect(s.get(), reinterpret_cast<const sockaddr*>(&u), sizeof u);
    if (rc < 0 && errno != EINPROGRESS) return false;
    f.connected = rc == 0;
    f.out = DnsStreamWriter();
    f.out.push(f.framed);
    f.in = DnsStreamReader();
    f.deadline = now + options_.upstream_timeout;
    owners_[s.get()] = Owner{Kind::Forward, id, {}};
    f.fd = std::move(s);
    return true;
}

void DnsTcp::step_forward(uint64_t id, short revents) {
    auto it = forwards_.find(id);
    if (it == forwards_.end()) return;
    Forward& f = it->second;
    int fd = f.fd.get();
    if (!f.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) return finish_forward(id, std::nullopt);
        sockaddr_in peer{};
        len = sizeof peer;
        // Still connecting (an event meant for an fd closed earlier in this round).
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) < 0) {
            if (revents & (POLLERR | POLLHUP)) finish_forward(id, std::nullopt);
            return;
        }
        f.connected = true;
    }
    if (f.out.pending()) {
        if (!f.out.flush(fd)) return finish_forward(id, std::nullopt);
        if (f.out.pending()) return;
    }
    for (int i = 0; i < kBatch; i++) {
        ssize_t n = ::recv(fd, buf_.data(), buf_.size(), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) return finish_forward(id, std::nullopt);  // closed without an answer
        f.in.feed(std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
        auto answer = f.in.next();
        if (f.in.broken()) return finish_forward(id, std::nullopt);
        if (!answer) continue;
        if (!answers(f.query, *answer)) return finish_forward(id, std::nullopt);
        return finish_forward(id, std::span<const uint8_t>(*answer));
    }
}

void DnsTcp::finish_forward(uint64_t id, std::optional<std::span<const uint8_t>> answer) {
    auto it = forwards_.find(id);
    if (it == forwards_.end()) return;
    Forward& f = it->second;
    uint64_t conn = f.conn;
    if (answer) reply(conn, *answer);
    else if (!f.truncated.empty()) reply(conn, f.truncated);  // what a plain resolver would have had
    else reply(conn, build_dns_response(f.query, DnsAnswer{.rcode = DnsRcode::ServFail}, kDnsTcpMaxMessage));
    if (f.fd) owners_.erase(f.fd.get());
    forwards_.erase(it);
    auto c = conns_.find(conn);
    if (c == conns_.end()) return;
    c->second.in_flight--;
    c->second.idle_deadline = Clock::now() + options_.idle_timeout;
    // Queries held back by the in-flight limit, and the answer's sending, go on in expire().
    deferred_.insert(conn);
}

void DnsTcp::expire(Clock::time_point now) {
    try {
        while (!deferred_.empty()) {
            uint64_t id = *deferred_.begin();
            deferred_.erase(deferred_.begin());
            process(id);
            write_conn(id);
        }
        std::vector<uint64_t> due;
        // Only TCP retries have a deadline here (the responder times the UDP part).
        for (const auto& [id, f] : forwards_)
            if (f.fd && f.deadline <= now) due.push_back(id);
        for (uint64_t id : due) finish_forward(id, std::nullopt);
        std::vector<uint64_t> idle;
        // A client that neither asks nor reads its answers goes too.
        for (const auto& [id, c] : conns_)
            if (c.in_flight == 0 && c.idle_deadline <= now) idle.push_back(id);
        for (uint64_t id : idle) close_conn(id);
    } catch (...) {
        // Only allocation can fail here; the next expire() retries.
    }
}

std::optional<std::chrono::milliseconds> DnsTcp::next_timeout() const {
    if (!deferred_.empty()) return std::chrono::milliseconds(0);
    std::optional<Clock::time_point> first;
    auto consider = [&](Clock::time_point t) { first = first ? std::min(*first, t) : t; };
    for (const auto& [id, f] : forwards_)
        if (f.fd) consider(f.deadline);
    for (const auto& [id, c] : conns_)
        if (c.in_flight == 0) consider(c.idle_deadline);
    if (!first) return std::nullopt;
    auto left = *first - Clock::now();
    if (left <= Clock::duration::zero()) return std::chrono::milliseconds(0);
    // Rounded up: waking before the deadline would only spin.
    return std::chrono::ceil<std::chrono::milliseconds>(left);
}

}  // namespace skiff::net
