// DNS over TCP (RFC 1035 4.2.2, RFC 7766) for the network DNS responder:
// clients that got a truncated answer, or that always ask over TCP (glibc's
// `options use-vc`, `dig +tcp`), reach the same names as over UDP. Like the
// responder it owns no loop and no thread: the network daemon polls
// poll_fds() and calls handle()/expire(); every socket is non-blocking.
//
// Names we do not know go upstream over UDP first, through the responder's
// forwarding (as systemd-resolved does): rootless, pasta maps only UDP to the
// host's loopback resolver (--dns-forward). An answer that comes back
// truncated is asked again over TCP from the upstream that gave it, and the
// truncated one is what the client gets if that fails.
#pragma once

#include <netinet/in.h>
#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/dns_message.hpp"
#include "util/fd.hpp"

namespace skiff::net {

// Largest DNS message over TCP: what the 2-byte length prefix can say.
inline constexpr size_t kDnsTcpMaxMessage = 65535;

// Splits a byte stream into length-prefixed DNS messages. Pure: unit tested.
class DnsStreamReader {
public:
    // Appends what was read.
    void feed(std::span<const uint8_t> data);
    // The next complete message, if one has fully arrived.
    std::optional<std::vector<uint8_t>> next();
    // A zero-length message came: the stream cannot be trusted any further,
    // the connection is to be closed. next() returns nothing from then on.
    bool broken() const { return broken_; }
    // Bytes of messages not complete yet (and of complete ones not taken).
    size_t buffered() const { return buf_.size() - start_; }

private:
    std::vector<uint8_t> buf_;
    size_t start_ = 0;  // consumed prefix of buf_, dropped now and then
    bool broken_ = false;
};

// `message` with its 2-byte length in front; throws skiff::Error above 65535 bytes.
std::vector<uint8_t> dns_tcp_frame(std::span<const uint8_t> message);

// Bytes waiting to go out on a stream socket, sent as far as the socket takes them.
class DnsStreamWriter {
public:
    void push(std::span<const uint8_t> data) { buf_.insert(buf_.end(), data.begin(), data.end()); }
    size_t pending() const { return buf_.size() - sent_; }
    // Sends what it can (MSG_NOSIGNAL, non-blocking). False on a broken connection.
    bool flush(int fd);

private:
    std::vector<uint8_t> buf_;
    size_t sent_ = 0;
};

struct DnsTcpOptions {
    // A client connection with nothing in flight is closed after this long
    // without a query (RFC 7766 suggests a few seconds).
    std::chrono::milliseconds idle_timeout{5000};
    // The TCP retry of a truncated answer: connecting, sending and the answer together.
    std::chrono::milliseconds upstream_timeout{2000};
    size_t max_connections = 128;  // client connections of all networks; new ones beyond are closed
    size_t max_in_flight = 16;     // forwarded queries per connection; it is not read beyond
    size_t max_output = 256 * 1024;  // unsent answers per connection; it is not read beyond
};

struct DnsTcpCallbacks {
    // What the responder answers itself to `query` from a client of `network`:
    // the reply, an empty reply to say nothing, or nullopt to forward it (then
    // `parsed` holds the query). May not throw.
    std::function<std::optional<std::vector<uint8_t>>(const std::string& network, std::span<const uint8_t> query,
                                                      DnsQuery& parsed)>
        local;
    // Forwards `query` over UDP; its outcome comes back through
    // DnsTcp::udp_answered(token, ...), possibly before this returns.
    // `client6`: the client, when it came over IPv6 (then `client` is empty).
    std::function<void(uint64_t token, const std::string& network, const sockaddr_in& client,
                       const sockaddr_in6* client6, const DnsQuery& parsed, std::span<const uint8_t> query)>
        forward_udp;
};

class DnsTcp {
public:
    explicit DnsTcp(DnsTcpCallbacks callbacks, DnsTcpOptions options = {});
    DnsTcp(const DnsTcp&) = delete;
    DnsTcp& operator=(const DnsTcp&) = delete;

    // `tcp_socket` is bound (to the gateway, port 53; IPv4 or IPv6), not
    // listening yet. Replaces an earlier listener of the same network and family.
    void add_listener(const std::string& network, UniqueFd tcp_socket);
    // Closes the network's listeners and connections; with a family
    // (AF_INET, AF_INET6), only that listener.
    void remove_listener(const std::string& network, int family = AF_UNSPEC);
    // What to poll now; changes after each handle()/expire().
    std::vector<pollfd> poll_fds() const;
    // True if `fd` is one of ours; then it was handled. Never throws.
    bool handle(int fd, short revents);
    // Closes idle connections, moves forwarded queries past their time to the
    // next upstream or answers SERVFAIL. Never throws.
    void expire(std::chrono::steady_clock::time_point now);
    std::optional<std::chrono::milliseconds> next_timeout() const;
    // The outcome of a forward_udp(): the upstream's reply (its id already the
    // client's) and who gave it, or nullopt when no upstream answered (SERVFAIL).
    void udp_answered(uint64_t token, std::optional<std::span<const uint8_t>> reply, const sockaddr_in& upstream);
    size_t connections() const { return conns_.size(); }

private:
    using Clock = std::chrono::steady_clock;
    struct Conn {
        UniqueFd fd;
        std::string network;
        sockaddr_in peer{};
        std::optional<sockaddr_in6> peer6;  // a client over IPv6 (then not `peer`)
        DnsStreamReader in;
        DnsStreamWriter out;
        Clock::time_point idle_deadline;
        size_t in_flight = 0;
        bool eof = false;  // the client sent everything it will
    };
    struct Forward {
        uint64_t conn = 0;
        UniqueFd fd;
        DnsQuery query;
        std::vector<uint8_t> framed;     // the client's query, length-prefixed
        std::vector<uint8_t> truncated;  // the UDP answer, while its TCP retry runs
        sockaddr_in upstream{};
        bool connected = false;
        DnsStreamWriter out;
        DnsStreamReader in;
        Clock::time_point deadline;
    };
    enum class Kind { Listener, Conn, Forward };
    struct Owner {
        Kind kind;
        uint64_t id = 0;  // conn or forward id
        std::string network;
    };

    void accept_all(const std::string& network, int fd);
    void read_conn(uint64_t id);
    void write_conn(uint64_t id);
    // Answers or forwards the complete messages read, as far as the limits allow.
    void process(uint64_t id);
    void on_message(uint64_t id, std::span<const uint8_t> message);
    void reply(uint64_t conn, std::span<const uint8_t> message);
    void start_forward(uint64_t conn, const DnsQuery& q, std::span<const uint8_t> message);
    bool connect_upstream(uint64_t id, Forward& f, Clock::time_point now);
    void step_forward(uint64_t id, short revents);
    // Ends a forwarded query: `answer`, else the truncated UDP answer, else SERVFAIL.
    void finish_forward(uint64_t id, std::optional<std::span<const uint8_t>> answer);
    void close_conn(uint64_t id);
    void maybe_close(uint64_t id);
    bool readable(const Conn& c) const;

    DnsTcpCallbacks callbacks_;
    DnsTcpOptions options_;
    std::map<std::pair<std::string, int>, UniqueFd> listeners_;  // by network and address family
    std::map<uint64_t, Conn> conns_;
    std::map<uint64_t, Forward> forwards_;
    std::unordered_map<int, Owner> owners_;  // by fd
    // Connections whose held-back queries are to be read on in expire(): not
    // at once, as answers come while the responder walks its own tables.
    std::set<uint64_t> deferred_;
    uint64_t next_id_ = 1;
    std::vector<uint8_t> buf_;  // one read; on the heap as it is 64 KiB
};

}  // namespace skiff::net
