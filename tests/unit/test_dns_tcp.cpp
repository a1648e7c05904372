#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>

#include "net/cidr.hpp"
#include "net/dns_message.hpp"
#include "net/dns_responder.hpp"
#include "net/dns_tcp.hpp"
#include "loopback_sockets.hpp"

using namespace skiff;
using namespace skiff::net;
using skiff::test::addr_of;
using skiff::test::loopback;
using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

namespace {

Bytes query(uint16_t id, const std::string& name, uint16_t type = kDnsTypeA) {
    Bytes b = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    auto n = encode_dns_name(name);
    REQUIRE(n);
    b.insert(b.end(), n->begin(), n->end());
    for (uint16_t v : {type, kDnsClassIn}) {
        b.push_back(static_cast<uint8_t>(v >> 8));
        b.push_back(static_cast<uint8_t>(v));
    }
    return b;
}

DnsQuery parsed(const Bytes& b) {
    auto r = parse_dns_query(b);
    REQUIRE(r.status == DnsParseStatus::Ok);
    return r.query;
}

uint16_t id_of(const Bytes& b) { return static_cast<uint16_t>(b[0] << 8 | b[1]); }
int rcode_of(const Bytes& b) { return b[3] & 0xF; }
uint16_t ancount(const Bytes& b) { return static_cast<uint16_t>(b[6] << 8 | b[7]); }
uint32_t ip(const char* s) { return *parse_ipv4(s); }

UniqueFd bound_tcp(uint16_t port = 0) { return test::bound_loopback(SOCK_STREAM, port); }

UniqueFd connect_to(const sockaddr_in& a) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    REQUIRE(connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

void send_all(int fd, const Bytes& b) {
    REQUIRE(send(fd, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size()));
}

// Polls `fds` of the component and the test's `extra` until `done` says so or `ms` pass.
template <typename T>
bool pump(T& t, const std::function<bool()>& done, int ms = 2000, const std::function<void()>& extra = {}) {
    auto end = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < end) {
        if (done()) return true;
        std::vector<pollfd> p = t.poll_fds();
        int wait = 5;
        if (auto n = t.next_timeout()) wait = std::min<int>(wait, static_cast<int>(n->count()));
        REQUIRE(poll(p.data(), p.size(), wait) >= 0);
        for (auto& x : p)
            if (x.revents) t.handle(x.fd, x.revents);
        t.expire(Clock::now());
        if (extra) extra();
    }
    return done();
}

// Reads what is there now on a non-blocking socket into `in`; false at EOF.
bool drain(int fd, DnsStreamReader& in) {
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) return false;
        if (n < 0) return true;
        in.feed(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
    }
}

// A client of the component: its answers, in order.
struct Client {
    UniqueFd fd;
    DnsStreamReader in;
    std::vector<Bytes> answers;
    bool closed = false;
    void poll_once() {
        if (closed) return;
        closed = !drain(fd.get(), in);
        while (auto m = in.next()) answers.push_back(*m);
    }
};

// Local answers for "web" and "many" (4000 records); the rest is forwarded
// over UDP: the test answers with udp_answered().
struct Fixture {
    struct Asked {
        uint64_t token;
        Bytes query;
    };
    std::vector<Asked> asked;
    // Set: answers each forward at once (as the responder does when it has no upstream).
    std::function<void(uint64_t, const Bytes&)> at_once;
    DnsTcp tcp;
    sockaddr_in listener{};

    explicit Fixture(DnsTcpOptions o = {})
        : tcp(DnsTcpCallbacks{
                  .local = [](const std::string& network, std::span<const uint8_t> packet,
                              DnsQuery& q) -> std::optional<Bytes> {
                      auto r = parse_dns_query(packet);
                      if (r.status != DnsParseStatus::Ok) return Bytes{};
                      q = r.query;
                      if (network == "front" && q.question.name == "web")
                          return build_dns_response(q, {.authoritative = true, .a = {ip("10.89.0.5")}},
                                                    kDnsTcpMaxMessage);
                      if (q.question.name == "many")  // 4000 records: only TCP can carry them
                          return build_dns_response(q, {.a = std::vector<uint32_t>(4000, ip("10.0.0.1"))},
                                                    kDnsTcpMaxMessage);
                      return std::nullopt;
                  },
                  .forward_udp =
                      [this](uint64_t token, const std::string& network, const sockaddr_in& client,
                             const sockaddr_in6* client6, const DnsQuery&, std::span<const uint8_t> packet) {
                          CHECK(network == "front");
                          CHECK(ntohl(client.sin_addr.s_addr) == ip("127.0.0.1"));
                          CHECK(client6 == nullptr);
                          Bytes q(packet.begin(), packet.end());
                          if (at_once) return at_once(token, q);
                          asked.push_back({token, q});
                      },
              },
              o) {
        UniqueFd l = bound_tcp();
        listener = addr_of(l.get());
        tcp.add_listener("front", std::move(l));
    }
    Client client() {
        Client c{connect_to(listener), {}, {}, false};
        return c;
    }
    bool wait_answers(Client& c, size_t n, int ms = 2000, const std::function<void()>& extra = {}) {
        return pump(tcp, [&] { c.poll_once(); return c.answers.size() >= n; }, ms, extra);
    }
    bool wait_asked(size_t n) {
        return pump(tcp, [&] { return asked.size() >= n; });
    }
};

// What an upstream answers to `q`: `n` A records 192.0.2.1..n, TC if asked.
Bytes upstream_answer(const Bytes& q, int n, bool tc = false) {
    std::vector<uint32_t> a;
    for (int i = 1; i <= n; i++) a.push_back(ip("192.0.2.0") + static_cast<uint32_t>(i));
    Bytes b = build_dns_response(parsed(q), {.a = a, .ttl = 300}, kDnsTcpMaxMessage);
    if (tc) b[2] |= kDnsFlagTc >> 8;
    return b;
}

// An upstream DNS server over TCP: answers every A query with 40 records
// (or what `answer` makes of it), after reading the query in pieces.
struct Upstream {
    UniqueFd listener = bound_tcp();
    std::vector<UniqueFd> conns;
    std::vector<DnsStreamReader> readers;
    std::vector<std::string> asked;
    std::function<std::optional<Bytes>(const Bytes&)> answer = [](const Bytes& q) -> std::optional<Bytes> {
        return upstream_answer(q, 40);
    };
    Upstream() {
        REQUIRE(listen(listener.get(), 8) == 0);
        REQUIRE(fcntl(listener.get(), F_SETFL, O_NONBLOCK) == 0);
    }
    sockaddr_in addr() { return addr_of(listener.get()); }
    void serve() {
        for (;;) {
            UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!c) break;
            conns.push_back(std::move(c));
            readers.emplace_back();
        }
        for (size_t i = 0; i < conns.size(); i++) {
            if (!conns[i]) continue;
            if (!drain(conns[i].get(), readers[i])) {
                conns[i].reset();
                continue;
            }
            while (auto m = readers[i].next()) {
                asked.push_back(parsed(*m).question.name);
                if (auto a = answer(*m)) send_all(conns[i].get(), dns_tcp_frame(*a));
            }
        }
    }
};

}  // namespace

TEST_CASE("dns tcp: length-prefixed messages in pieces", "[dns]") {
    Bytes a = query(1, "web"), b = query(2, "example.org");
    Bytes stream = dns_tcp_frame(a);
    Bytes fb = dns_tcp_frame(b);
    stream.insert(stream.end(), fb.begin(), fb.end());
    REQUIRE(stream.size() == a.size() + b.size() + 4);
    CHECK(stream[0] == 0);
    CHECK(stream[1] == a.size());

    DnsStreamReader r;
    std::vector<Bytes> got;
    for (uint8_t byte : stream) {  // one byte at a time
        r.feed(std::span<const uint8_t>(&byte, 1));
        while (auto m = r.next()) got.push_back(*m);
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0] == a);
    CHECK(got[1] == b);
    CHECK(r.buffered() == 0);

    DnsStreamReader all;  // both at once, and half of a third
    all.feed(stream);
    all.feed(std::span<const uint8_t>(stream.data(), 5));
    CHECK(all.next() == a);
    CHECK(all.next() == b);
    CHECK_FALSE(all.next());
    CHECK(all.buffered() == 5);
    CHECK_FALSE(all.broken());
}

TEST_CASE("dns tcp: a zero-length message breaks the stream; 64 KiB is the most", "[dns]") {
    DnsStreamReader r;
    Bytes a = dns_tcp_frame(query(1, "web"));
    a.push_back(0);
    a.push_back(0);
    Bytes after = dns_tcp_frame(query(2, "web"));
    a.insert(a.end(), after.begin(), after.end());
    r.feed(a);
    CHECK(r.next());
    CHECK_FALSE(r.next());
    CHECK(r.broken());
    r.feed(after);
    CHECK_FALSE(r.next());

    Bytes big(kDnsTcpMaxMessage, 7);
    Bytes framed = dns_tcp_frame(big);
    CHECK(framed[0] == 0xFF);
    CHECK(framed[1] == 0xFF);
    DnsStreamReader rb;
    rb.feed(framed);
    CHECK(rb.next() == big);
    big.push_back(7);
    CHECK_THROWS_WITH(dns_tcp_frame(big), Catch::Contains("does not fit"));
}

TEST_CASE("dns tcp: partial writes resume where they stopped", "[dns]") {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    UniqueFd a(sv[0]), b(sv[1]);
    int small = 4096;
    setsockopt(a.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    DnsStreamWriter w;
    Bytes data(300000);
    for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(i * 7);
    w.push(data);
    REQUIRE(w.flush(a.get()));
    CHECK(w.pending() > 0);  // the socket took only part of it
    Bytes got;
    uint8_t buf[8192];
    while (got.size() < data.size()) {
        REQUIRE(w.flush(a.get()));
        ssize_t n = recv(b.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) got.insert(got.end(), buf, buf + n);
    }
    CHECK(w.pending() == 0);
    CHECK(got == data);
    b.reset();
    w.push(data);
    CHECK_FALSE(w.flush(a.get()));  // the peer is gone
}

TEST_CASE("dns tcp: local names, several queries on one connection, large answers", "[dns]") {
    Fixture f;
    Client c = f.client();
    Bytes both = dns_tcp_frame(query(0x1111, "web"));
    Bytes second = dns_tcp_frame(query(0x2222, "many"));
    both.insert(both.end(), second.begin(), second.end());
    // Sent in two pieces that split the second message's length prefix.
    size_t cut = dns_tcp_frame(query(0x1111, "web")).size() + 1;
    send_all(c.fd.get(), Bytes(both.begin(), both.begin() + static_cast<long>(cut)));
    REQUIRE(f.wait_answers(c, 1));
    send_all(c.fd.get(), Bytes(both.begin() + static_cast<long>(cut), both.end()));
    REQUIRE(f.wait_answers(c, 2));
    CHECK(id_of(c.answers[0]) == 0x1111);
    CHECK(ancount(c.answers[0]) == 1);
    CHECK(id_of(c.answers[1]) == 0x2222);
    CHECK(ancount(c.answers[1]) == 4000);  // 64 000 bytes: partial writes on the way
    CHECK((c.answers[1][2] & (kDnsFlagTc >> 8)) == 0);
    CHECK(f.tcp.connections() == 1);
    // The client closes its side: the connection goes once answered.
    shutdown(c.fd.get(), SHUT_WR);
    CHECK(pump(f.tcp, [&] { return f.tcp.connections() == 0; }));
}

TEST_CASE("dns tcp: idle connections, broken streams and too many clients are closed", "[dns]") {
    Fixture f(DnsTcpOptions{.idle_timeout = std::chrono::milliseconds(100), .max_connections = 2});
    Client idle = f.client();
    Client second = f.client();
    Client third = f.client();  // over the cap
    CHECK(pump(f.tcp, [&] { third.poll_once(); return third.closed; }, 1000));
    CHECK(f.tcp.connections() == 2);
    send_all(second.fd.get(), {0, 0});  // zero-length message
    CHECK(pump(f.tcp, [&] { second.poll_once(); return second.closed; }, 1000));
    auto start = Clock::now();
    CHECK(pump(f.tcp, [&] { idle.poll_once(); return idle.closed; }, 2000));
    CHECK(Clock::now() - start < std::chrono::milliseconds(1000));
    CHECK(f.tcp.connections() == 0);
}

TEST_CASE("dns tcp: other names go upstream over UDP; a whole answer is passed on", "[dns]") {
    Fixture f;
    Client c = f.client();
    send_all(c.fd.get(), dns_tcp_frame(query(0x3333, "svc.example.test")));
    REQUIRE(f.wait_asked(1));
    CHECK(f.asked[0].query == query(0x3333, "svc.example.test"));
    f.tcp.udp_answered(f.asked[0].token, upstream_answer(f.asked[0].query, 1), loopback(1));
    REQUIRE(f.wait_answers(c, 1));
    CHECK(id_of(c.answers[0]) == 0x3333);
    CHECK(rcode_of(c.answers[0]) == 0);
    CHECK(ancount(c.answers[0]) == 1);

    // No upstream answered: SERVFAIL.
    send_all(c.fd.get(), dns_tcp_frame(query(0x3334, "none.example.test")));
    REQUIRE(f.wait_asked(2));
    f.tcp.udp_answered(f.asked[1].token, std::nullopt, {});
    REQUIRE(f.wait_answers(c, 2));
    CHECK(id_of(c.answers[1]) == 0x3334);
    CHECK(rcode_of(c.answers[1]) == static_cast<int>(DnsRcode::ServFail));
}

TEST_CASE("dns tcp: a truncated UDP answer is asked again over TCP", "[dns]") {
    Fixture f;
    Upstream up;
    Client c = f.client();
    send_all(c.fd.get(), dns_tcp_frame(query(0x4444, "big.example.test")));
    REQUIRE(f.wait_asked(1));
    f.tcp.udp_answered(f.asked[0].token, upstream_answer(f.asked[0].query, 1, true), up.addr());
    REQUIRE(f.wait_answers(c, 1, 2000, [&] { up.serve(); }));
    CHECK(id_of(c.answers[0]) == 0x4444);
    CHECK(ancount(c.answers[0]) == 40);
    CHECK((c.answers[0][2] & (kDnsFlagTc >> 8)) == 0);
    REQUIRE(up.asked.size() == 1);
    CHECK(up.asked[0] == "big.example.test");
}

TEST_CASE("dns tcp: when the TCP retry fails, the truncated answer is what the client gets", "[dns]") {
    Fixture f(DnsTcpOptions{.upstream_timeout = std::chrono::milliseconds(200)});
    Client c = f.client();
    // Nothing listens on port 1: refused.
    send_all(c.fd.get(), dns_tcp_frame(query(0x5555, "refused.example.test")));
    REQUIRE(f.wait_asked(1));
    f.tcp.udp_answered(f.asked[0].token, upstream_answer(f.asked[0].query, 1, true), loopback(1));
    REQUIRE(f.wait_answers(c, 1));
    CHECK(id_of(c.answers[0]) == 0x5555);
    CHECK(ancount(c.answers[0]) == 1);
    CHECK((c.answers[0][2] & (kDnsFlagTc >> 8)) != 0);

    // An upstream that takes the query and never answers: after the timeout.
    Upstream silent;
    silent.answer = [](const Bytes&) -> std::optional<Bytes> { return std::nullopt; };
    send_all(c.fd.get(), dns_tcp_frame(query(0x5556, "slow.example.test")));
    REQUIRE(f.wait_asked(2));
    auto start = Clock::now();
    f.tcp.udp_answered(f.asked[1].token, upstream_answer(f.asked[1].query, 1, true), silent.addr());
    REQUIRE(f.wait_answers(c, 2, 2000, [&] { silent.serve(); }));
    CHECK(Clock::now() - start >= std::chrono::milliseconds(190));
    CHECK(id_of(c.answers[1]) == 0x5556);
    CHECK((c.answers[1][2] & (kDnsFlagTc >> 8)) != 0);
    CHECK(silent.asked.size() == 1);
}

TEST_CASE("dns tcp: queries beyond the in-flight limit wait their turn; a client gone is forgotten", "[dns]") {
    Fixture f(DnsTcpOptions{.max_in_flight = 4});
    Client c = f.client();
    Bytes all;
    for (uint16_t i = 0; i < 10; i++) {
        Bytes one = dns_tcp_frame(query(static_cast<uint16_t>(0x6000 + i), "n" + std::to_string(i) + ".example.test"));
        all.insert(all.end(), one.begin(), one.end());
    }
    send_all(c.fd.get(), all);
    REQUIRE(f.wait_asked(4));
    CHECK_FALSE(pump(f.tcp, [&] { return f.asked.size() > 4; }, 100));  // held back
    for (size_t answered = 0; answered < 10; answered++) {
        REQUIRE(f.wait_asked(answered + 1));
        f.tcp.udp_answered(f.asked[answered].token, upstream_answer(f.asked[answered].query, 1), loopback(1));
    }
    REQUIRE(f.wait_answers(c, 10));
    for (uint16_t i = 0; i < 10; i++) CHECK(id_of(c.answers[i]) == 0x6000 + i);

    // Answered at once, from inside the forwarding (no upstream): all of them too.
    f.at_once = [&](uint64_t token, const Bytes&) { f.tcp.udp_answered(token, std::nullopt, {}); };
    send_all(c.fd.get(), all);
    REQUIRE(f.wait_answers(c, 20));
    CHECK(rcode_of(c.answers[19]) == static_cast<int>(DnsRcode::ServFail));

    f.at_once = {};
    send_all(c.fd.get(), dns_tcp_frame(query(0x7000, "late.example.test")));
    REQUIRE(f.wait_asked(11));
    // The client goes: its connection stays until its last query is answered.
    c.fd.reset();
    CHECK_FALSE(pump(f.tcp, [&] { return f.tcp.connections() == 0; }, 100));
    f.tcp.udp_answered(f.asked[10].token, upstream_answer(f.asked[10].query, 1), loopback(1));
    REQUIRE(pump(f.tcp, [&] { return f.tcp.connections() == 0; }));
    f.tcp.udp_answered(f.asked[10].token, upstream_answer(f.asked[10].query, 1), loopback(1));  // nobody to tell
    CHECK(f.tcp.connections() == 0);
}

TEST_CASE("dns responder: TCP next to UDP on the same address; truncated forwards asked again over TCP", "[dns]") {
    // The upstream: UDP says TC, TCP (same port) has the 40 records.
    UniqueFd up_udp(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in any = loopback();
    REQUIRE(bind(up_udp.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) == 0);
    sockaddr_in up_addr = addr_of(up_udp.get());
    Upstream up_tcp;
    up_tcp.listener = bound_tcp(ntohs(up_addr.sin_port));
    REQUIRE(listen(up_tcp.listener.get(), 8) == 0);
    REQUIRE(fcntl(up_tcp.listener.get(), F_SETFL, O_NONBLOCK) == 0);
    std::vector<std::string> udp_asked;
    auto serve = [&] {
        uint8_t buf[512];
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(up_udp.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
            Bytes q(buf, buf + n);
            udp_asked.push_back(parsed(q).question.name);
            Bytes r = upstream_answer(q, 1, true);
            sendto(up_udp.get(), r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
        up_tcp.serve();
    };
    DnsView view{
        .lookup = [](const std::string&, const std::string& name) {
            return name == "web" ? std::vector<uint32_t>{ip("10.89.0.5")} : std::vector<uint32_t>{};
        },
        .reverse = {},
        .upstreams = [&](const std::string&, uint32_t) { return std::vector<sockaddr_in>{up_addr}; },
    };
    DnsResponder r(view);
    UniqueFd udp(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback();
    REQUIRE(bind(udp.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    sockaddr_in where = addr_of(udp.get());
    UniqueFd tcp = bound_tcp(ntohs(where.sin_port));
    r.add_listener("front", std::move(udp), std::move(tcp));
    CHECK(r.poll_fds().size() == r.fds().size() + 1);
    Client c{connect_to(where), {}, {}, false};
    send_all(c.fd.get(), dns_tcp_frame(query(0x1234, "WEB")));
    send_all(c.fd.get(), dns_tcp_frame(query(0x1235, "nosuch")));
    REQUIRE(pump(r, [&] { c.poll_once(); return c.answers.size() == 2; }));
    CHECK(id_of(c.answers[0]) == 0x1234);
    CHECK(ancount(c.answers[0]) == 1);
    CHECK(rcode_of(c.answers[1]) == static_cast<int>(DnsRcode::NxDomain));
    send_all(c.fd.get(), dns_tcp_frame(query(0x1236, "big.example.test")));
    REQUIRE(pump(r, [&] { c.poll_once(); return c.answers.size() == 3; }, 3000, serve));
    CHECK(id_of(c.answers[2]) == 0x1236);
    CHECK(ancount(c.answers[2]) == 40);
    CHECK(udp_asked == std::vector<std::string>{"big.example.test"});
    CHECK(up_tcp.asked == std::vector<std::string>{"big.example.test"});
    r.remove_listener("front");
    CHECK(r.poll_fds().size() == r.fds().size());
    CHECK(pump(r, [&] { c.poll_once(); return c.closed; }));
}

TEST_CASE("dns tcp: an IPv6 listener beside the IPv4 one; its clients forward with their IPv6 address", "[dns][ipv6]") {
    std::vector<std::string> forwarded_from;
    DnsTcp tcp(DnsTcpCallbacks{
        .local = [](const std::string&, std::span<const uint8_t> packet, DnsQuery& q) -> std::optional<Bytes> {
            q = parse_dns_query(packet).query;
            if (q.question.name == "web")
                return build_dns_response(q, {.authoritative = true, .a = {ip("10.89.0.5")}}, kDnsTcpMaxMessage);
            return std::nullopt;
        },
        .forward_udp = [&](uint64_t token, const std::string& network, const sockaddr_in&, const sockaddr_in6* client6,
                           const DnsQuery&, std::span<const uint8_t>) {
            CHECK(network == "front");
            char text[INET6_ADDRSTRLEN] = "";
            if (client6) inet_ntop(AF_INET6, &client6->sin6_addr, text, sizeof text);
            forwarded_from.push_back(text);
            // No upstream: SERVFAIL, at once.
            (void)token;
        },
    });
    UniqueFd l6(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(l6);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (bind(l6.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        WARN("no IPv6 loopback here: the IPv6 TCP listener is not tested");
        return;
    }
    socklen_t len = sizeof a;
    REQUIRE(getsockname(l6.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
    UniqueFd l4 = bound_tcp();
    tcp.add_listener("front", std::move(l4));
    tcp.add_listener("front", std::move(l6));
    CHECK(tcp.poll_fds().size() == 2);  // both families listen
    UniqueFd c(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    Client client{std::move(c), {}, {}, false};
    send_all(client.fd.get(), dns_tcp_frame(query(7, "web")));
    REQUIRE(pump(tcp, [&] { client.poll_once(); return client.answers.size() >= 1; }));
    CHECK(id_of(client.answers[0]) == 7);
    CHECK(ancount(client.answers[0]) == 1);
    send_all(client.fd.get(), dns_tcp_frame(query(8, "svc.example.test")));
    REQUIRE(pump(tcp, [&] { return !forwarded_from.empty(); }));
    CHECK(forwarded_from[0] == "::1");
    // One family's listener goes alone: the connections stay.
    tcp.remove_listener("front", AF_INET);
    CHECK(tcp.connections() == 1);
    tcp.remove_listener("front");
    CHECK(tcp.poll_fds().empty());
    CHECK(tcp.connections() == 0);
}
