#include "net/dns_responder.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/error.hpp"

namespace skiff::net {

namespace {

// Several forwarding sockets, each on its own kernel-chosen port, so that a
// spoofed reply has to guess a port as well as a 16-bit id.
constexpr size_t kForwarders = 4;
// Datagrams read per handle(): enough to drain bursts, few enough not to
// starve the daemon's other fds.
constexpr int kBatch = 64;
constexpr std::string_view kPodmanDomain = "dns.podman";

using Clock = std::chrono::steady_clock;

// Podman's search domain: "web.dns.podman" asks for "web", and nothing under
// it may leak to the upstreams.
bool strip_podman_domain(std::string& name) {
    if (name == kPodmanDomain) {
        name.clear();
        return true;
    }
    if (name.size() > kPodmanDomain.size() && name.ends_with(kPodmanDomain) &&
        name[name.size() - kPodmanDomain.size() - 1] == '.') {
        name.resize(name.size() - kPodmanDomain.size() - 1);
        return true;
    }
    return false;
}

bool same_addr(const sockaddr_in& a, const sockaddr_in& b) {
    return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

ssize_t receive(int fd, std::vector<uint8_t>& buf, sockaddr_in& from) {
    for (;;) {
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n >= 0 && from.sin_family != AF_INET) continue;
        if (n < 0 && errno == EINTR) continue;
        return n;
    }
}

void set_id(std::span<uint8_t> packet, uint16_t id) {
    packet[0] = static_cast<uint8_t>(id >> 8);
    packet[1] = static_cast<uint8_t>(id);
}

}  // namespace

DnsResponder::DnsResponder(DnsView view, DnsOptions options)
    : view_(std::move(view)),
      options_(options),
      rng_(std::random_device{}()),
      buf_(65536),
      tcp_(DnsTcpCallbacks{
               .local = [this](const std::string& network, std::span<const uint8_t> packet,
                               DnsQuery& q) { return local_reply(network, packet, true, q); },
               .forward_udp =
                   [this](uint64_t token, const std::string& network, const sockaddr_in& client,
                          const sockaddr_in6* client6, const DnsQuery& q, std::span<const uint8_t> packet) {
                       forward(network, client, q, packet, token, client6);
                   },
           },
           DnsTcpOptions{.upstream_timeout = options.upstream_timeout}) {
    for (size_t i = 0; i < kForwarders; i++) {
        UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd) throw_errno("creating the DNS forwarding socket");
        forwarders_.push_back(std::move(fd));
    }
}

void DnsResponder::add_listener(const std::string& network, UniqueFd udp_socket, UniqueFd tcp_socket) {
    int flags = fcntl(udp_socket.get(), F_GETFL);
    if (flags < 0 || fcntl(udp_socket.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno("making the DNS socket of network " + network + " non-blocking");
    Listener l;
    socklen_t len = sizeof l.addr;
    if (getsockname(udp_socket.get(), reinterpret_cast<sockaddr*>(&l.addr), &len) < 0) l.addr = {};
    l.fd = std::move(udp_socket);
    if (tcp_socket) tcp_.add_listener(network, std::move(tcp_socket));
    else tcp_.remove_listener(network, AF_INET);
    listeners_[network] = std::move(l);
}

void DnsResponder::add_listener6(const std::string& network, UniqueFd udp_socket, UniqueFd tcp_socket) {
    int flags = fcntl(udp_socket.get(), F_GETFL);
    if (flags < 0 || fcntl(udp_socket.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno("making the IPv6 DNS socket of network " + network + " non-blocking");
    if (tcp_socket) tcp_.add_listener(network, std::move(tcp_socket));
    else tcp_.remove_listener(network, AF_INET6);
    listeners6_[network] = std::move(udp_socket);
}

void DnsResponder::remove_listener(const std::string& network) {
    listeners_.erase(network);
    listeners6_.erase(network);
    tcp_.remove_listener(network);
    std::vector<Key> gone;
    for (const auto& [key, p] : pending_)
        if (p.network == network) gone.push_back(key);
    for (Key k : gone) erase(k);
}

std::vector<int> DnsResponder::fds() const {
    std::vector<int> out;
    for (const auto& [network, l] : listeners_) out.push_back(l.fd.get());
    for (const auto& [network, fd] : listeners6_) out.push_back(fd.get());
    for (const auto& f : forwarders_) out.push_back(f.get());
    return out;
}

std::vector<pollfd> DnsResponder::poll_fds() const {
    std::vector<pollfd> out;
    for (int fd : fds()) out.push_back({fd, POLLIN, 0});
    for (pollfd p : tcp_.poll_fds()) out.push_back(p);
    return out;
}

void DnsResponder::handle(int fd, short revents) {
    if (tcp_.handle(fd, revents)) return;
    try {
        for (const auto& [network, l] : listeners_)
            if (l.fd.get() == fd) return read_listener(network, fd);
        for (const auto& [network, l6] : listeners6_)
            if (l6.get() == fd) return read_listener6(network, fd);
        for (size_t i = 0; i < forwarders_.size(); i++)
            if (forwarders_[i].get() == fd) return read_forwarder(i);
    } catch (...) {
        // A bad packet or a failing callback must not take the daemon down;
        // the client retries.
    }
}

void DnsResponder::read_listener(const std::string& network, int fd) {
    for (int i = 0; i < kBatch; i++) {
        sockaddr_in client{};
        ssize_t n = receive(fd, buf_, client);
        if (n < 0) return;
        answer(network, client, std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
    }
}

void DnsResponder::read_listener6(const std::string& network, int fd) {
    for (int i = 0; i < kBatch; i++) {
        sockaddr_in6 client{};
        socklen_t len = sizeof client;
        ssize_t n = recvfrom(fd, buf_.data(), buf_.size(), 0, reinterpret_cast<sockaddr*>(&client), &len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;
        if (client.sin6_family != AF_INET6) continue;
        std::span<const uint8_t> packet(buf_.data(), static_cast<size_t>(n));
        DnsQuery q;
        auto reply = local_reply(network, packet, false, q);
        if (!reply) forward(network, {}, q, packet, 0, &client);
        else if (!reply->empty()) send_to_client6(network, client, *reply);
    }
}

void DnsResponder::send_to_client6(const std::string& network, const sockaddr_in6& client,
                                   std::span<const uint8_t> data) {
    auto it = listeners6_.find(network);
    if (it == listeners6_.end()) return;
    (void)sendto(it->second.get(), data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&client),
                 sizeof client);
}

void DnsResponder::answer(const std::string& network, const sockaddr_in& client, std::span<const uint8_t> packet) {
    DnsQuery q;
    auto reply = local_reply(network, packet, false, q);
    if (!reply) return forward(network, client, q, packet);
    if (!reply->empty()) send_to_client(network, client, *reply);
}

std::optional<std::vector<uint8_t>> DnsResponder::local_reply(const std::string& network,
                                                              std::span<const uint8_t> packet, bool tcp,
                                                              DnsQuery& q) {
    DnsParseResult r = parse_dns_query(packet);
    switch (r.status) {
    case DnsParseStatus::Drop:
        return std::vector<uint8_t>{};
    case DnsParseStatus::FormErr:
        return build_dns_header_response(r.query.id, r.query.flags, DnsRcode::FormErr);
    case DnsParseStatus::NotImp:
        return build_dns_header_response(r.query.id, r.query.flags, DnsRcode::NotImp);
    case DnsParseStatus::Ok:
        break;
    }
    q = std::move(r.query);
    std::optional<DnsAnswer> a;
    try {
        a = local_answer(network, q);
        if (!a) return std::nullopt;
    } catch (...) {
        a = DnsAnswer{.rcode = DnsRcode::ServFail};
    }
    // Over TCP only the length prefix limits an answer.
    return build_dns_response(q, *a, tcp ? kDnsTcpMaxMessage : dns_udp_limit(q));
}

std::optional<DnsAnswer> DnsResponder::local_answer(const std::string& network, const DnsQuery& q) {
    const DnsQuestion& question = q.question;
    // CHAOS and other classes: nothing of ours, and nothing to leak upstream.
    if (question.klass != kDnsClassIn && question.klass != kDnsClassAny) return DnsAnswer{.rcode = DnsRcode::Refused};
    DnsAnswer a{.authoritative = true, .ttl = options_.ttl};
    if (question.type == kDnsTypePtr) {
        // A reverse name of ours: the container's name; other addresses go upstream.
        std::optional<std::string> owner;
        bool reverse_name = false;
        if (auto ip = parse_in_addr_arpa(question.name)) {
            reverse_name = true;
            if (view_.reverse) owner = view_.reverse(network, *ip);
        } else if (auto ip6 = parse_ip6_arpa(question.name)) {
            reverse_name = true;
            if (view_.reverse6) owner = view_.reverse6(network, *ip6);
        }
        if (reverse_name) {
            if (!owner || owner->empty()) return std::nullopt;
            a.ptr = *owner;
            return a;
        }
    }
    std::string name = question.name;
    bool podman_domain = strip_podman_domain(name);
    std::vector<uint32_t> ips;
    if (!name.empty() && view_.lookup) ips = view_.lookup(network, name);
    std::vector<std::array<uint8_t, 16>> ips6;
    if (!name.empty() && view_.lookup6) ips6 = view_.lookup6(network, name);
    if (!ips.empty() || !ips6.empty()) {
        // Other types of a known name: NOERROR without records (NODATA), so
        // that resolvers asking A and AAAA together keep the A answer.
        if (question.type == kDnsTypeA || question.type == kDnsTypeAny) a.a = std::move(ips);
        if (question.type == kDnsTypeAaaa || question.type == kDnsTypeAny) a.aaaa = std::move(ips6);
        return a;
    }
    // A single label cannot be a public name: asking upstream only leaks
    // container names (Docker and aardvark-dns answer these locally too).
    if (podman_domain || (!name.empty() && name.find('.') == std::string::npos)) {
        a.rcode = DnsRcode::NxDomain;
        return a;
    }
    return std::nullopt;
}

void DnsResponder::forward(const std::string& network, const sockaddr_in& client, const DnsQuery& q,
                           std::span<const uint8_t> packet, uint64_t tcp, const sockaddr_in6* client6) {
    Pending p;
    if (client6 && view_.upstreams6) {
        std::array<uint8_t, 16> ip6{};
        std::memcpy(ip6.data(), &client6->sin6_addr, ip6.size());
        for (sockaddr_in u : view_.upstreams6(network, ip6)) {
            u.sin_family = AF_INET;
            if (!is_listener_addr(u)) p.upstreams.push_back(u);
        }
    } else {
        p.upstreams = upstreams_of(network, client6 ? 0 : ntohl(client.sin_addr.s_addr));
    }
    std::optional<Key> key;
    if (!p.upstreams.empty()) {
        while (pending_.size() >= options_.max_pending && !by_age_.empty()) erase(by_age_.begin()->second);
        key = new_key();
    }
    if (!key) {
        if (tcp) return tcp_.udp_answered(tcp, std::nullopt, {});
        auto servfail = build_dns_response(q, DnsAnswer{.rcode = DnsRcode::ServFail});
        if (client6) return send_to_client6(network, *client6, servfail);
        return send_to_client(network, client, servfail);
    }
    p.tcp = tcp;
    p.network = network;
    p.client = client;
    if (client6) p.client6 = *client6;
    p.query = q;
    p.packet.assign(packet.begin(), packet.end());
    set_id(p.packet, static_cast<uint16_t>(*key));
    p.seq = next_seq_++;
    by_age_.emplace(p.seq, *key);
    Pending& stored = pending_.emplace(*key, std::move(p)).first->second;
    if (!send_upstream(*key, stored, Clock::now())) fail(*key, stored);
}

bool DnsResponder::send_upstream(Key key, Pending& p, Clock::time_point now) {
    int fd = forwarders_[key >> 16].get();
    while (p.current < p.upstreams.size()) {
        const sockaddr_in& u = p.upstreams[p.current];
        ssize_t n = sendto(fd, p.packet.data(), p.packet.size(), 0, reinterpret_cast<const sockaddr*>(&u), sizeof u);
        if (n < 0 && errno == EINTR) continue;
        // A full send buffer is a lost datagram: the timeout moves on.
        if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            p.deadline = now + options_.upstream_timeout;
            return true;
        }
        p.current++;  // unreachable network and the like: try the next one now
    }
    return false;
}

void DnsResponder::read_forwarder(size_t index) {
    int fd = forwarders_[index].get();
    for (int i = 0; i < kBatch; i++) {
        sockaddr_in from{};
        ssize_t n = receive(fd, buf_, from);
        if (n < 0) return;
        std::span<uint8_t> reply(buf_.data(), static_cast<size_t>(n));
        if (reply.size() < kDnsHeaderSize) continue;
        Key key = static_cast<Key>(index << 16 | reply[0] << 8 | reply[1]);
        auto it = pending_.find(key);
        if (it == pending_.end()) continue;
        Pending& p = it->second;
        if (!same_addr(from, p.upstreams[p.current]) || !reply_matches(p, reply)) continue;
        auto rcode = static_cast<DnsRcode>(reply[3] & 0xF);
        // Like the libc resolver: a server that cannot answer is not the last word.
        if ((rcode == DnsRcode::ServFail || rcode == DnsRcode::Refused) && p.current + 1 < p.upstreams.size()) {
            p.current++;
            if (!send_upstream(key, p, Clock::now())) fail(key, p);
            continue;
        }
        relay(key, p, reply);
    }
}

bool DnsResponder::reply_matches(const Pending& p, std::span<const uint8_t> reply) const {
    if (!(reply[2] & (kDnsFlagQr >> 8))) return false;
    uint16_t qdcount = static_cast<uint16_t>(reply[4] << 8 | reply[5]);
    // Some servers leave the question out of their errors.
    if (qdcount == 0) return (reply[3] & 0xF) != 0;
    if (qdcount != 1) return false;
    size_t offset = kDnsHeaderSize;
    auto q = parse_dns_question(reply, offset);
    const DnsQuestion& sent = p.query.question;
    return q && q->name == sent.name && q->type == sent.type && q->klass == sent.klass;
}

void DnsResponder::relay(Key key, Pending& p, std::span<uint8_t> reply) {
    set_id(reply, p.query.id);
    if (uint64_t token = std::exchange(p.tcp, 0)) {
        sockaddr_in from = p.upstreams[p.current];
        erase(key);
        // Truncated or not: DnsTcp asks again over TCP when it must.
        return tcp_.udp_answered(token, reply, from);
    }
    if (p.client6) send_to_client6(p.network, *p.client6, reply);
    else send_to_client(p.network, p.client, reply);
    erase(key);
}

void DnsResponder::fail(Key key, Pending& p) {
    if (uint64_t token = std::exchange(p.tcp, 0)) {
        erase(key);
        return tcp_.udp_answered(token, std::nullopt, {});
    }
    auto servfail = build_dns_response(p.query, DnsAnswer{.rcode = DnsRcode::ServFail});
    if (p.client6) send_to_client6(p.network, *p.client6, servfail);
    else send_to_client(p.network, p.client, servfail);
    erase(key);
}

std::vector<sockaddr_in> DnsResponder::upstreams_of(const std::string& network, uint32_t client_ip) const {
    std::vector<sockaddr_in> out;
    if (!view_.upstreams) return out;
    for (sockaddr_in u : view_.upstreams(network, client_ip)) {
        u.sin_family = AF_INET;
        // Forwarding to one of our own listeners would bounce the query forever.
        if (!is_listener_addr(u)) out.push_back(u);
    }
    return out;
}

void DnsResponder::expire(Clock::time_point now) {
    tcp_.expire(now);
    try {
        std::vector<Key> due;
        for (const auto& [key, p] : pending_)
            if (p.deadline <= now) due.push_back(key);
        for (Key key : due) {
            Pending& p = pending_.at(key);
            p.current++;
            if (!send_upstream(key, p, now)) fail(key, p);
        }
    } catch (...) {
        // Only allocation can fail here; the next expire() retries.
    }
}

std::optional<std::chrono::milliseconds> DnsResponder::next_timeout() const {
    auto tcp = tcp_.next_timeout();
    if (pending_.empty()) return tcp;
    Clock::time_point first = Clock::time_point::max();
    for (const auto& [key, p] : pending_) first = std::min(first, p.deadline);
    auto left = first - Clock::now();
    if (left <= Clock::duration::zero()) return std::chrono::milliseconds(0);
    // Rounded up: waking before the deadline would only spin.
    auto udp = std::chrono::ceil<std::chrono::milliseconds>(left);
    return tcp ? std::min(udp, *tcp) : udp;
}

void DnsResponder::erase(Key key) {
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    uint64_t tcp = it->second.tcp;
    by_age_.erase(it->second.seq);
    pending_.erase(it);
    // A TCP client's query given up (the oldest beyond max_pending): SERVFAIL there.
    if (tcp) tcp_.udp_answered(tcp, std::nullopt, {});
}

std::optional<DnsResponder::Key> DnsResponder::new_key() {
    // Random ids: a sequence would let an off-path attacker predict the next one.
    for (int tries = 0; tries < 64; tries++) {
        size_t index = next_forwarder_++ % forwarders_.size();
        Key key = static_cast<Key>(index << 16 | (rng_() & 0xFFFF));
        if (!pending_.contains(key)) return key;
    }
    return std::nullopt;
}

bool DnsResponder::is_listener_addr(const sockaddr_in& a) const {
    for (const auto& [network, l] : listeners_)
        if (same_addr(a, l.addr)) return true;
    return false;
}

void DnsResponder::send_to_client(const std::string& network, const sockaddr_in& client,
                                  std::span<const uint8_t> data) {
    auto it = listeners_.find(network);
    if (it == listeners_.end()) return;
    // UDP: a response that cannot be sent now is a lost datagram, the client retries.
    (void)sendto(it->second.fd.get(), data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&client),
                 sizeof client);
}

}  // namespace skiff::net
