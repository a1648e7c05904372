#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>

#include "net/cidr.hpp"
#include "net/dns_message.hpp"
#include "net/dns_responder.hpp"
#include "loopback_sockets.hpp"

using namespace skiff;
using namespace skiff::net;
using skiff::test::addr_of;
using Bytes = std::vector<uint8_t>;

namespace {

void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

Bytes header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an = 0, uint16_t ns = 0, uint16_t ar = 0) {
    Bytes b;
    for (uint16_t v : {id, flags, qd, an, ns, ar}) put16(b, v);
    return b;
}

// Written by hand so that the tests do not trust encode_dns_name.
Bytes wire(const std::string& name) {
    Bytes b;
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        b.push_back(static_cast<uint8_t>(dot - start));
        b.insert(b.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    b.push_back(0);
    return b;
}

Bytes query(uint16_t id, const std::string& name, uint16_t type = kDnsTypeA, uint16_t flags = kDnsFlagRd,
            std::optional<uint16_t> edns = std::nullopt, uint16_t klass = kDnsClassIn) {
    Bytes b = header(id, flags, 1, 0, 0, edns ? 1 : 0);
    Bytes n = wire(name);
    b.insert(b.end(), n.begin(), n.end());
    put16(b, type);
    put16(b, klass);
    if (edns) {
        b.push_back(0);  // root owner
        put16(b, kDnsTypeOpt);
        put16(b, *edns);
        for (int i = 0; i < 6; i++) b.push_back(0);  // ttl (ext. rcode, flags), rdlen
    }
    return b;
}

DnsParseStatus status_of(const Bytes& b) { return parse_dns_query(b).status; }

struct Record {
    std::string name;
    uint16_t type = 0;
    uint32_t ttl = 0;
    Bytes rdata;
    size_t rdata_offset = 0;
};

struct Decoded {
    uint16_t id = 0, flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
    DnsQuestion question;
    std::vector<Record> answers;
    int rcode() const { return flags & 0xF; }
    bool has(uint16_t flag) const { return (flags & flag) != 0; }
};

uint16_t get16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

Decoded decode(const Bytes& b) {
    REQUIRE(b.size() >= kDnsHeaderSize);
    Decoded d{get16(b, 0), get16(b, 2), get16(b, 4), get16(b, 6), get16(b, 8), get16(b, 10), {}, {}};
    size_t off = kDnsHeaderSize;
    if (d.qd == 1) {
        auto q = parse_dns_question(b, off);
        REQUIRE(q);
        d.question = *q;
    }
    for (int i = 0; i < d.an; i++) {
        auto owner = parse_dns_question(b, off, false);
        REQUIRE(owner);
        REQUIRE(off + 10 <= b.size());
        Record r{owner->name, get16(b, off), uint32_t{get16(b, off + 4)} << 16 | get16(b, off + 6), {}, 0};
        size_t len = get16(b, off + 8);
        off += 10;
        REQUIRE(off + len <= b.size());
        r.rdata.assign(b.begin() + static_cast<long>(off), b.begin() + static_cast<long>(off + len));
        r.rdata_offset = off;
        off += len;
        d.answers.push_back(r);
    }
    CHECK(off == b.size());
    return d;
}

uint32_t rdata_ipv4(const Record& r) {
    REQUIRE(r.rdata.size() == 4);
    return uint32_t{r.rdata[0]} << 24 | uint32_t{r.rdata[1]} << 16 | uint32_t{r.rdata[2]} << 8 | r.rdata[3];
}

uint32_t ip(const char* s) { return *parse_ipv4(s); }

DnsQuery parsed(const Bytes& b) {
    auto r = parse_dns_query(b);
    REQUIRE(r.status == DnsParseStatus::Ok);
    return r.query;
}

}  // namespace

TEST_CASE("dns: parse a query", "[dns]") {
    auto q = parsed(query(0x1234, "Web.Example.COM"));
    CHECK(q.id == 0x1234);
    CHECK(q.rd());
    CHECK(q.opcode() == 0);
    CHECK(q.question.name == "web.example.com");
    CHECK(q.question.wire_name == wire("Web.Example.COM"));
    CHECK(q.question.type == kDnsTypeA);
    CHECK(q.question.klass == kDnsClassIn);
    CHECK_FALSE(q.edns_size);
    CHECK(dns_udp_limit(q) == 512);

    auto e = parsed(query(7, "web", kDnsTypeAaaa, 0, 1232));
    CHECK_FALSE(e.rd());
    CHECK(e.edns_size == 1232);
    CHECK(dns_udp_limit(e) == 1232);
    CHECK(dns_udp_limit(parsed(query(7, "web", kDnsTypeA, 0, 100))) == 512);
    CHECK(dns_udp_limit(parsed(query(7, "web", kDnsTypeA, 0, 65000))) == 4096);

    auto root = parsed(query(8, "", 2));
    CHECK(root.question.name.empty());
    CHECK(root.question.wire_name == Bytes{0});
}

TEST_CASE("dns: broken and hostile queries", "[dns]") {
    Bytes short_header = {0x12, 0x34, 0x01, 0x00, 0x00};
    CHECK(status_of(short_header) == DnsParseStatus::Drop);
    CHECK(status_of({}) == DnsParseStatus::Drop);
    CHECK(status_of(query(1, "web", kDnsTypeA, kDnsFlagQr)) == DnsParseStatus::Drop);

    auto with_name = [](Bytes name_bytes, bool type = true) {
        Bytes b = header(1, kDnsFlagRd, 1);
        b.insert(b.end(), name_bytes.begin(), name_bytes.end());
        if (type) b.insert(b.end(), {0, 1, 0, 1});
        return b;
    };
    // A pointer to itself, and a two-step loop through a label.
    CHECK(status_of(with_name({0xC0, 0x0C})) == DnsParseStatus::Drop);
    CHECK(status_of(with_name({1, 'a', 0xC0, 0x0C})) == DnsParseStatus::Drop);
    // Pointing forward or past the end.
    CHECK(status_of(with_name({0xC0, 0x20})) == DnsParseStatus::Drop);
    CHECK(status_of(with_name({0xFF, 0xFF})) == DnsParseStatus::Drop);
    // Label length 64 (0x40, a reserved label type) and longer.
    Bytes long_label = {64};
    long_label.insert(long_label.end(), 64, 'a');
    long_label.push_back(0);
    CHECK(status_of(with_name(long_label)) == DnsParseStatus::Drop);
    Bytes label_128 = {0x80, 'a', 0};
    CHECK(status_of(with_name(label_128)) == DnsParseStatus::Drop);
    // A label running past the end, a name without its end, no type/class.
    CHECK(status_of(with_name({5, 'a', 'b'}, false)) == DnsParseStatus::Drop);
    CHECK(status_of(with_name({3, 'w', 'e', 'b'}, false)) == DnsParseStatus::Drop);
    CHECK(status_of(with_name({3, 'w', 'e', 'b', 0, 0, 1}, false)) == DnsParseStatus::Drop);
    // Names over 255 bytes.
    std::string label63(63, 'x');
    CHECK(status_of(query(1, label63 + "." + label63 + "." + label63 + "." + label63)) == DnsParseStatus::Drop);
    CHECK(status_of(query(1, label63 + "." + label63 + "." + label63 + "." + std::string(61, 'x'))) ==
          DnsParseStatus::Ok);
    // A dot or NUL inside a label would alias another name.
    CHECK(status_of(with_name({3, 'a', '.', 'b', 0})) == DnsParseStatus::Drop);
    CHECK(status_of(with_name({3, 'a', 0, 'b', 0})) == DnsParseStatus::Drop);

    Bytes qd0 = header(0x4242, kDnsFlagRd, 0);
    auto r0 = parse_dns_query(qd0);
    CHECK(r0.status == DnsParseStatus::FormErr);
    CHECK(r0.query.id == 0x4242);
    Bytes qd2 = query(2, "web");
    qd2[5] = 2;
    CHECK(status_of(qd2) == DnsParseStatus::FormErr);
    CHECK(status_of(query(3, "web", kDnsTypeA, 4 << 11)) == DnsParseStatus::NotImp);  // NOTIFY
    CHECK(status_of(query(3, "web", kDnsTypeA, 5 << 11)) == DnsParseStatus::NotImp);  // UPDATE

    // A broken additional section costs EDNS, not the question.
    Bytes junk = query(4, "web");
    junk[11] = 1;
    junk.push_back(0xC0);
    auto j = parse_dns_query(junk);
    CHECK(j.status == DnsParseStatus::Ok);
    CHECK_FALSE(j.query.edns_size);
}

TEST_CASE("dns: compression pointers are followed backwards", "[dns]") {
    Bytes b = query(1, "Example.com");
    size_t www = b.size();
    b.insert(b.end(), {3, 'w', 'w', 'w', 0xC0, 0x0C});
    size_t chained = b.size();
    b.insert(b.end(), {2, 'm', 'x', 0xC0, static_cast<uint8_t>(www)});
    b.insert(b.end(), {0, 1, 0, 1});

    size_t off = www;
    auto n = parse_dns_question(b, off, false);
    REQUIRE(n);
    CHECK(n->name == "www.example.com");
    CHECK(n->wire_name == wire("www.Example.com"));
    CHECK(off == chained);
    auto m = parse_dns_question(b, off);
    REQUIRE(m);
    CHECK(m->name == "mx.www.example.com");
    CHECK(m->type == kDnsTypeA);
    CHECK(off == b.size());
}

TEST_CASE("dns: build answers", "[dns]") {
    auto q = parsed(query(0xABCD, "Web.dns.podman."));

    auto a = decode(build_dns_response(q, {.authoritative = true, .a = {ip("10.89.0.5"), ip("10.89.0.6")}}));
    CHECK(a.id == 0xABCD);
    CHECK(a.has(kDnsFlagQr));
    CHECK(a.has(kDnsFlagAa));
    CHECK(a.has(kDnsFlagRa));
    CHECK(a.has(kDnsFlagRd));
    CHECK_FALSE(a.has(kDnsFlagTc));
    CHECK(a.rcode() == 0);
    CHECK(a.qd == 1);
    CHECK(a.ns == 0);
    CHECK(a.ar == 0);
    CHECK(a.question.wire_name == wire("Web.dns.podman"));  // echoed as asked
    REQUIRE(a.answers.size() == 2);
    CHECK(a.answers[0].name == "web.dns.podman");
    CHECK(a.answers[0].type == kDnsTypeA);
    CHECK(a.answers[0].ttl == 60);
    CHECK(rdata_ipv4(a.answers[0]) == ip("10.89.0.5"));
    CHECK(rdata_ipv4(a.answers[1]) == ip("10.89.0.6"));

    auto ttl = decode(build_dns_response(q, {.a = {1}, .ttl = 5}));
    CHECK(ttl.answers.at(0).ttl == 5);
    CHECK_FALSE(ttl.has(kDnsFlagAa));

    auto nodata = decode(build_dns_response(q, {.authoritative = true}));
    CHECK(nodata.rcode() == 0);
    CHECK(nodata.an == 0);
    CHECK(nodata.has(kDnsFlagAa));

    auto nx = decode(build_dns_response(q, {.rcode = DnsRcode::NxDomain, .authoritative = true}));
    CHECK(nx.rcode() == 3);
    CHECK(nx.qd == 1);
    CHECK(nx.an == 0);

    auto no_rd = parsed(query(9, "x", kDnsTypeA, 0));
    auto sf = decode(build_dns_response(no_rd, {.rcode = DnsRcode::ServFail}));
    CHECK(sf.rcode() == 2);
    CHECK_FALSE(sf.has(kDnsFlagAa));
    CHECK_FALSE(sf.has(kDnsFlagRd));
    CHECK(sf.has(kDnsFlagRa));
    CHECK(decode(build_dns_response(no_rd, {.rcode = DnsRcode::Refused})).rcode() == 5);

    auto fe = decode(build_dns_header_response(0x4242, kDnsFlagRd, DnsRcode::FormErr));
    CHECK(fe.id == 0x4242);
    CHECK(fe.rcode() == 1);
    CHECK(fe.qd == 0);
    CHECK(fe.has(kDnsFlagQr));
    auto ni = decode(build_dns_header_response(1, 4 << 11, DnsRcode::NotImp));
    CHECK(ni.rcode() == 4);
    CHECK(((ni.flags >> 11) & 0xF) == 4);  // opcode echoed
}

TEST_CASE("dns: answers are truncated to what the client accepts", "[dns]") {
    std::vector<uint32_t> many;
    for (uint32_t i = 0; i < 40; i++) many.push_back(ip("10.89.0.0") + i);
    auto q = parsed(query(1, "web"));
    Bytes small = build_dns_response(q, {.a = many}, dns_udp_limit(q));
    CHECK(small.size() <= 512);
    auto d = decode(small);
    CHECK(d.has(kDnsFlagTc));
    CHECK(d.an == (512 - 12 - (wire("web").size() + 4)) / 16);

    auto e = parsed(query(1, "web", kDnsTypeA, kDnsFlagRd, 1232));
    auto big = decode(build_dns_response(e, {.a = many}, dns_udp_limit(e)));
    CHECK_FALSE(big.has(kDnsFlagTc));
    CHECK(big.an == 40);
    CHECK(big.ar == 0);  // no OPT: we do not speak EDNS
}

TEST_CASE("dns: reverse names", "[dns]") {
    CHECK(parse_in_addr_arpa("5.0.89.10.in-addr.arpa") == ip("10.89.0.5"));
    CHECK(parse_in_addr_arpa("5.0.89.10.IN-ADDR.ARPA.") == ip("10.89.0.5"));
    CHECK(parse_in_addr_arpa("255.0.0.0.in-addr.arpa") == ip("0.0.0.255"));
    CHECK_FALSE(parse_in_addr_arpa("0.89.10.in-addr.arpa"));
    CHECK_FALSE(parse_in_addr_arpa("1.5.0.89.10.in-addr.arpa"));
    CHECK_FALSE(parse_in_addr_arpa("256.0.89.10.in-addr.arpa"));
    CHECK_FALSE(parse_in_addr_arpa("05.0.89.10.in-addr.arpa"));
    CHECK_FALSE(parse_in_addr_arpa("a.0.89.10.in-addr.arpa"));
    CHECK_FALSE(parse_in_addr_arpa("5..89.10.in-addr.arpa"));
    CHECK_FALSE(parse_in_addr_arpa(".in-addr.arpa"));
    CHECK_FALSE(parse_in_addr_arpa("5.0.89.10.ip6.arpa"));
    CHECK_FALSE(parse_in_addr_arpa("5.0.89.10xin-addr.arpa"));

    auto q = parsed(query(3, "5.0.89.10.in-addr.arpa", kDnsTypePtr));
    auto d = decode(build_dns_response(q, {.authoritative = true, .ptr = "web"}));
    REQUIRE(d.an == 1);
    CHECK(d.answers[0].type == kDnsTypePtr);
    CHECK(d.answers[0].rdata == wire("web"));
    CHECK(decode(build_dns_response(q, {.ptr = "web.dns.podman."})).answers.at(0).rdata == wire("web.dns.podman"));
}

TEST_CASE("dns: name helpers", "[dns]") {
    CHECK(normalize_dns_name("WeB.Dns.Podman.") == "web.dns.podman");
    CHECK(normalize_dns_name("") == "");
    CHECK(encode_dns_name("web.") == wire("web"));
    CHECK(encode_dns_name(".") == Bytes{0});
    CHECK_FALSE(encode_dns_name("a..b"));
    CHECK_FALSE(encode_dns_name("a.."));
    CHECK_FALSE(encode_dns_name(std::string(64, 'a')));
    CHECK(encode_dns_name(std::string(63, 'a')));
}

// ---- the responder, end to end over loopback ----

namespace {

struct Datagram {
    Bytes data;
    sockaddr_in from{};
};

UniqueFd udp_socket() { return test::bound_loopback(SOCK_DGRAM); }

void send_to(int fd, const Bytes& b, const sockaddr_in& to) {
    REQUIRE(sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
            static_cast<ssize_t>(b.size()));
}

// Runs the responder as the daemon would until `fd` (a test socket) has a
// datagram, or `ms` pass.
std::optional<Datagram> next_datagram(DnsResponder& r, int fd, int ms = 1000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
        std::vector<pollfd> p;
        for (int f : r.fds()) p.push_back({f, POLLIN, 0});
        p.push_back({fd, POLLIN, 0});
        int wait = 10;
        if (auto t = r.next_timeout()) wait = std::min<int>(wait, static_cast<int>(t->count()));
        REQUIRE(poll(p.data(), p.size(), wait) >= 0);
        for (size_t i = 0; i + 1 < p.size(); i++)
            if (p[i].revents & POLLIN) r.handle(p[i].fd);
        r.expire(std::chrono::steady_clock::now());
        if (p.back().revents & POLLIN) {
            Datagram d;
            d.data.resize(65536);
            socklen_t len = sizeof d.from;
            ssize_t n = recvfrom(fd, d.data.data(), d.data.size(), 0, reinterpret_cast<sockaddr*>(&d.from), &len);
            REQUIRE(n >= 0);
            d.data.resize(static_cast<size_t>(n));
            return d;
        }
    }
    return std::nullopt;
}

// A reply as an upstream server would send it: one A record.
Bytes upstream_reply(const Bytes& forwarded, uint32_t addr, int rcode = 0) {
    auto q = parsed(forwarded);
    Bytes b = build_dns_response(q, {.rcode = static_cast<DnsRcode>(rcode), .a = {addr}, .ttl = 300});
    return b;
}

struct Net {
    std::vector<sockaddr_in> upstreams;
    std::vector<std::string> asked;  // names given to lookup
    DnsView view() {
        return {
            .lookup =
                [this](const std::string& network, const std::string& name) {
                    asked.push_back(name);
                    if (network != "front") return std::vector<uint32_t>{};
                    if (name == "web") return std::vector<uint32_t>{ip("10.89.0.5")};
                    if (name == "db.local") return std::vector<uint32_t>{ip("10.89.0.6")};
                    if (name == "boom") throw std::runtime_error("database is locked");
                    return std::vector<uint32_t>{};
                },
            .reverse = [](const std::string&, uint32_t a) -> std::optional<std::string> {
                if (a == ip("10.89.0.5")) return "web";
                return std::nullopt;
            },
            .upstreams = [this](const std::string&, uint32_t client) {
                CHECK(client == ip("127.0.0.1"));
                return upstreams;
            },
        };
    }
};

struct Setup {
    Net net;
    DnsResponder responder;
    UniqueFd client = udp_socket();
    UniqueFd upstream = udp_socket();
    sockaddr_in listener{};

    explicit Setup(DnsOptions o = {}) : responder(net.view(), o) {
        UniqueFd l = udp_socket();
        listener = addr_of(l.get());
        responder.add_listener("front", std::move(l));
        net.upstreams = {addr_of(upstream.get())};
    }
    std::optional<Decoded> ask(const Bytes& q, int ms = 1000) {
        send_to(client.get(), q, listener);
        auto d = next_datagram(responder, client.get(), ms);
        if (!d) return std::nullopt;
        return decode(d->data);
    }
    bool upstream_idle() { return !next_datagram(responder, upstream.get(), 50); }
};

}  // namespace

TEST_CASE("dns responder: names of the network", "[dns]") {
    Setup s;
    auto a = s.ask(query(0x1111, "WEB."));
    REQUIRE(a);
    CHECK(a->id == 0x1111);
    CHECK(a->rcode() == 0);
    CHECK(a->has(kDnsFlagAa));
    CHECK(a->question.wire_name == wire("WEB"));
    REQUIRE(a->an == 1);
    CHECK(rdata_ipv4(a->answers[0]) == ip("10.89.0.5"));
    CHECK(a->answers[0].ttl == 60);
    CHECK(s.net.asked.back() == "web");

    auto podman = s.ask(query(2, "Web.DNS.podman"));
    REQUIRE(podman);
    REQUIRE(podman->an == 1);
    CHECK(s.net.asked.back() == "web");
    auto alias = s.ask(query(3, "db.local"));
    REQUIRE(alias);
    REQUIRE(alias->an == 1);
    CHECK(rdata_ipv4(alias->answers[0]) == ip("10.89.0.6"));

    auto aaaa = s.ask(query(4, "web", kDnsTypeAaaa));
    REQUIRE(aaaa);
    CHECK(aaaa->rcode() == 0);
    CHECK(aaaa->an == 0);
    CHECK(aaaa->has(kDnsFlagAa));

    auto ptr = s.ask(query(5, "5.0.89.10.in-addr.arpa", kDnsTypePtr));
    REQUIRE(ptr);
    REQUIRE(ptr->an == 1);
    CHECK(ptr->answers[0].rdata == wire("web"));

    CHECK(s.upstream_idle());
}

TEST_CASE("dns responder: single labels and dns.podman never leave", "[dns]") {
    Setup s;
    for (const char* name : {"nothere", "NotHere.", "x.dns.podman", "a.b.dns.podman", "dns.podman"}) {
        INFO(name);
        auto r = s.ask(query(6, name, kDnsTypeA));
        REQUIRE(r);
        CHECK(r->rcode() == 3);
        CHECK(r->has(kDnsFlagAa));
        auto r6 = s.ask(query(6, name, kDnsTypeAaaa));
        REQUIRE(r6);
        CHECK(r6->rcode() == 3);
    }
    // Known on another network is unknown here.
    UniqueFd back = udp_socket();
    sockaddr_in back_addr = addr_of(back.get());
    s.responder.add_listener("back", std::move(back));
    send_to(s.client.get(), query(7, "web"), back_addr);
    auto other = next_datagram(s.responder, s.client.get());
    REQUIRE(other);
    CHECK(decode(other->data).rcode() == 3);
    CHECK(other->from.sin_port == back_addr.sin_port);
    CHECK(s.upstream_idle());
    CHECK(s.responder.pending() == 0);
}

TEST_CASE("dns responder: bad packets", "[dns]") {
    Setup s;
    CHECK_FALSE(s.ask({1, 2, 3}, 100));
    CHECK_FALSE(s.ask(query(1, "web", kDnsTypeA, kDnsFlagQr), 100));  // a response
    Bytes loop = header(1, 0, 1);
    loop.insert(loop.end(), {0xC0, 0x0C, 0, 1, 0, 1});
    CHECK_FALSE(s.ask(loop, 100));

    auto notimp = s.ask(query(0x77, "web", kDnsTypeA, 4 << 11));
    REQUIRE(notimp);
    CHECK(notimp->id == 0x77);
    CHECK(notimp->rcode() == 4);
    auto formerr = s.ask(header(0x78, 0, 2));
    REQUIRE(formerr);
    CHECK(formerr->rcode() == 1);
    auto chaos = s.ask(query(0x79, "version.bind", 16, 0, std::nullopt, 3));
    REQUIRE(chaos);
    CHECK(chaos->rcode() == 5);
    // A failing lookup answers SERVFAIL and leaves the responder working.
    auto boom = s.ask(query(0x7A, "boom"));
    REQUIRE(boom);
    CHECK(boom->rcode() == 2);
    s.responder.handle(12345);  // not ours: ignored
    REQUIRE(s.ask(query(0x7B, "web")));
    CHECK(s.upstream_idle());
}

TEST_CASE("dns responder: forwards other names", "[dns]") {
    Setup s;
    send_to(s.client.get(), query(0xBEEF, "Example.COM"), s.listener);
    auto fwd = next_datagram(s.responder, s.upstream.get());
    REQUIRE(fwd);
    auto fq = parsed(fwd->data);
    CHECK(fq.question.wire_name == wire("Example.COM"));
    CHECK(fq.rd());
    CHECK(s.responder.pending() == 1);

    // Not from the upstream it went to, and an unknown id: both ignored.
    UniqueFd spoofer = udp_socket();
    send_to(spoofer.get(), upstream_reply(fwd->data, ip("6.6.6.6")), fwd->from);
    Bytes wrong_id = upstream_reply(fwd->data, ip("6.6.6.6"));
    wrong_id[0] ^= 0xFF;
    send_to(s.upstream.get(), wrong_id, fwd->from);
    Bytes wrong_question = upstream_reply(query(fq.id, "evil.com"), ip("6.6.6.6"));
    send_to(s.upstream.get(), wrong_question, fwd->from);
    CHECK_FALSE(next_datagram(s.responder, s.client.get(), 100));
    CHECK(s.responder.pending() == 1);

    send_to(s.upstream.get(), upstream_reply(fwd->data, ip("93.184.216.34")), fwd->from);
    auto got = next_datagram(s.responder, s.client.get());
    REQUIRE(got);
    auto d = decode(got->data);
    CHECK(d.id == 0xBEEF);
    REQUIRE(d.an == 1);
    CHECK(rdata_ipv4(d.answers[0]) == ip("93.184.216.34"));
    CHECK(d.answers[0].ttl == 300);
    CHECK(s.responder.pending() == 0);
    CHECK_FALSE(s.responder.next_timeout());

    // A late duplicate goes nowhere.
    send_to(s.upstream.get(), upstream_reply(fwd->data, ip("93.184.216.34")), fwd->from);
    CHECK_FALSE(next_datagram(s.responder, s.client.get(), 100));

    // Unknown addresses of reverse lookups go upstream too.
    send_to(s.client.get(), query(0x5151, "99.0.89.10.in-addr.arpa", kDnsTypePtr), s.listener);
    auto ptr = next_datagram(s.responder, s.upstream.get());
    REQUIRE(ptr);
    CHECK(parsed(ptr->data).question.name == "99.0.89.10.in-addr.arpa");
}

TEST_CASE("dns responder: upstream timeouts and failures", "[dns]") {
    Setup s(DnsOptions{.upstream_timeout = std::chrono::milliseconds(100)});
    UniqueFd dead = udp_socket();  // bound, never read: silent
    s.net.upstreams = {addr_of(dead.get()), addr_of(s.upstream.get())};

    auto start = std::chrono::steady_clock::now();
    send_to(s.client.get(), query(0x2222, "example.org"), s.listener);
    auto fwd = next_datagram(s.responder, s.upstream.get());
    REQUIRE(fwd);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));
    send_to(s.upstream.get(), upstream_reply(fwd->data, ip("1.2.3.4")), fwd->from);
    auto got = next_datagram(s.responder, s.client.get());
    REQUIRE(got);
    CHECK(decode(got->data).id == 0x2222);

    SECTION("none left: SERVFAIL") {
        s.net.upstreams = {addr_of(dead.get())};
        send_to(s.client.get(), query(0x3333, "example.net"), s.listener);
        auto first = next_datagram(s.responder, s.client.get(), 20);
        CHECK_FALSE(first);
        auto t = s.responder.next_timeout();
        REQUIRE(t);
        CHECK(t->count() <= 100);
        auto sf = s.ask(query(0x3334, "nothere"));  // answered at once, before the timeout
        REQUIRE(sf);
        CHECK(sf->rcode() == 3);
        auto d = next_datagram(s.responder, s.client.get(), 1000);
        REQUIRE(d);
        auto r = decode(d->data);
        CHECK(r.id == 0x3333);
        CHECK(r.rcode() == 2);
        CHECK(r.question.name == "example.net");
        CHECK(s.responder.pending() == 0);
    }
    SECTION("no upstream at all: SERVFAIL at once") {
        s.net.upstreams = {};
        auto r = s.ask(query(0x4444, "example.net"));
        REQUIRE(r);
        CHECK(r->rcode() == 2);
    }
    SECTION("never to ourselves") {
        s.net.upstreams = {s.listener};
        auto r = s.ask(query(0x4445, "example.net"));
        REQUIRE(r);
        CHECK(r->rcode() == 2);
    }
    SECTION("an upstream SERVFAIL tries the next one") {
        UniqueFd second = udp_socket();
        s.net.upstreams = {addr_of(s.upstream.get()), addr_of(second.get())};
        send_to(s.client.get(), query(0x5555, "example.net"), s.listener);
        auto f1 = next_datagram(s.responder, s.upstream.get());
        REQUIRE(f1);
        send_to(s.upstream.get(), upstream_reply(f1->data, 0, 2), f1->from);
        auto f2 = next_datagram(s.responder, second.get());
        REQUIRE(f2);
        send_to(second.get(), upstream_reply(f2->data, ip("5.5.5.5")), f2->from);
        auto d = next_datagram(s.responder, s.client.get());
        REQUIRE(d);
        auto r = decode(d->data);
        CHECK(r.id == 0x5555);
        CHECK(r.rcode() == 0);
        CHECK(rdata_ipv4(r.answers.at(0)) == ip("5.5.5.5"));
    }
}

TEST_CASE("dns responder: the oldest forwarded query gives way", "[dns]") {
    Setup s(DnsOptions{.max_pending = 2});
    std::vector<Datagram> fwd;
    for (uint16_t id : {1, 2, 3}) {
        send_to(s.client.get(), query(id, "host" + std::to_string(id) + ".example"), s.listener);
        auto f = next_datagram(s.responder, s.upstream.get());
        REQUIRE(f);
        fwd.push_back(*f);
    }
    CHECK(s.responder.pending() == 2);
    send_to(s.upstream.get(), upstream_reply(fwd[0].data, ip("1.1.1.1")), fwd[0].from);
    CHECK_FALSE(next_datagram(s.responder, s.client.get(), 100));
    send_to(s.upstream.get(), upstream_reply(fwd[2].data, ip("3.3.3.3")), fwd[2].from);
    auto d = next_datagram(s.responder, s.client.get());
    REQUIRE(d);
    CHECK(decode(d->data).id == 3);

    // Removing the network forgets its queries.
    s.responder.remove_listener("front");
    CHECK(s.responder.pending() == 0);
    CHECK(s.responder.fds().size() == 4);
}

TEST_CASE("dns: mutated packets never read out of bounds", "[dns]") {
    // Cheap fuzzing: flipped bytes and cut ends of valid packets. Meaningful
    // under the sanitizers; here it checks that every outcome is orderly.
    std::mt19937 rng(42);
    Bytes base = query(0x1234, "web.example.com", kDnsTypeA, kDnsFlagRd, 1232);
    base.insert(base.end(), {0xC0, 0x0C, 0xC0, 0x10});
    for (int i = 0; i < 20000; i++) {
        Bytes b = base;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; f++) b[rng() % b.size()] = static_cast<uint8_t>(rng());
        b.resize(rng() % (b.size() + 1));
        auto r = parse_dns_query(b);
        if (r.status == DnsParseStatus::Ok) {
            CHECK(r.query.question.wire_name.size() <= 255);
            auto resp = build_dns_response(r.query, {.a = {1, 2, 3}}, dns_udp_limit(r.query));
            CHECK(resp.size() <= dns_udp_limit(r.query));
        }
    }
}
