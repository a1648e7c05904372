// DNS server for user-defined networks (what aardvark-dns is to Podman and the
// embedded DNS server to Docker): containers resolve each other by name, other
// names go to the upstream servers. It owns no loop and no thread: the network
// daemon polls fds() and calls handle()/expire().
#pragma once

#include <netinet/in.h>
#include <poll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/dns_message.hpp"
#include "net/dns_tcp.hpp"
#include "util/fd.hpp"

namespace skiff::net {

// What the daemon knows about its networks. IPv4 addresses are uint32_t in
// host byte order (as in net/cidr.hpp). The callbacks may throw: the query then
// gets SERVFAIL.
struct DnsView {
    // Addresses of `name` on `network` (container names, aliases, short IDs).
    // `name` is lower case, without trailing dot or the dns.podman suffix:
    // compare case-insensitively. Empty: not a name of this network.
    std::function<std::vector<uint32_t>(const std::string& network, const std::string& name)> lookup;
    // The name of the container that has `ip` on `network`, for PTR queries.
    std::function<std::optional<std::string>(const std::string& network, uint32_t ip)> reverse;
    // Where to forward names we do not know, for a client of `network` (its
    // resolv.conf servers or the host's), in the order to try them.
    std::function<std::vector<sockaddr_in>(const std::string& network, uint32_t client_ip)> upstreams;
    // IPv6 addresses (network byte order) of `name` on a dual-stack
    // `network`, for AAAA queries; unset or empty: none.
    std::function<std::vector<std::array<uint8_t, 16>>(const std::string& network, const std::string& name)> lookup6;
    // The name of the container that has the IPv6 address (network byte
    // order) on a dual-stack `network`, for ip6.arpa PTR queries.
    std::function<std::optional<std::string>(const std::string& network, const std::array<uint8_t, 16>& ip)>
        reverse6;
    // upstreams for a client that asked on the IPv6 listener (its IPv6
    // address); unset: upstreams(network, 0).
    std::function<std::vector<sockaddr_in>(const std::string& network, const std::array<uint8_t, 16>& client_ip)>
        upstreams6;
};

struct DnsOptions {
    uint32_t ttl = 60;  // of our own A/PTR records
    std::chrono::milliseconds upstream_timeout{2000};
    size_t max_pending = 1024;  // forwarded queries in flight; the oldest is dropped beyond
};

class DnsResponder {
public:
    // Opens the forwarding sockets, in the current network namespace (the one
    // that reaches the upstreams); throws skiff::Error if it cannot.
    explicit DnsResponder(DnsView view, DnsOptions options = {});
    DnsResponder(const DnsResponder&) = delete;
    DnsResponder& operator=(const DnsResponder&) = delete;

    // `udp_socket` is already bound (to the gateway, port 53); it is made
    // non-blocking here. Replaces an earlier listener of the same network.
    // `tcp_socket`, if given, is bound to the same address, not listening yet
    // (dns_tcp.hpp).
    void add_listener(const std::string& network, UniqueFd udp_socket, UniqueFd tcp_socket = {});
    // A dual-stack network's IPv6 UDP socket (bound to its IPv6 gateway,
    // port 53), answered as the IPv4 one; made non-blocking here; and its
    // TCP socket, as add_listener's. Goes with remove_listener.
    void add_listener6(const std::string& network, UniqueFd udp_socket, UniqueFd tcp_socket = {});
    // Closes the listener and forgets the network's queries in flight.
    void remove_listener(const std::string& network);
    // The UDP fds, to poll for POLLIN. Changes only with add/remove_listener.
    std::vector<int> fds() const;
    // Everything to poll (UDP and TCP), with the events wanted; changes after
    // each handle()/expire().
    std::vector<pollfd> poll_fds() const;
    // Call when `fd` is readable; reads what is queued. Never throws.
    void handle(int fd, short revents = POLLIN);
    // Moves queries whose upstream did not answer in time to the next upstream,
    // or answers SERVFAIL when none is left. Never throws.
    void expire(std::chrono::steady_clock::time_point now);
    // Until the next expire() has something to do; nullopt when nothing waits.
    std::optional<std::chrono::milliseconds> next_timeout() const;
    size_t pending() const { return pending_.size(); }

private:
    struct Listener {
        UniqueFd fd;
        sockaddr_in addr{};
    };
    struct Pending {
        std::string network;
        sockaddr_in client{};
        std::optional<sockaddr_in6> client6;  // asked on the IPv6 listener (then not `client`)
        DnsQuery query;
        std::vector<uint8_t> packet;  // the client's query, id replaced by ours
        std::vector<sockaddr_in> upstreams;
        size_t current = 0;  // index into upstreams
        std::chrono::steady_clock::time_point deadline;
        uint64_t seq = 0;
        uint64_t tcp = 0;  // a TCP client's query: DnsTcp's token for the answer
    };
    using Key = uint32_t;  // forwarding socket index << 16 | our query id

    void read_listener(const std::string& network, int fd);
    void read_forwarder(size_t index);
    void answer(const std::string& network, const sockaddr_in& client, std::span<const uint8_t> packet);
    std::optional<DnsAnswer> local_answer(const std::string& network, const DnsQuery& q);
    void forward(const std::string& network, const sockaddr_in& client, const DnsQuery& q,
                 std::span<const uint8_t> packet, uint64_t tcp = 0, const sockaddr_in6* client6 = nullptr);
    void read_listener6(const std::string& network, int fd);
    void send_to_client6(const std::string& network, const sockaddr_in6& client, std::span<const uint8_t> data);
    // Sends to upstreams[current], then the next ones if sending fails; false if none is left.
    bool send_upstream(Key key, Pending& p, std::chrono::steady_clock::time_point now);
    void relay(Key key, Pending& p, std::span<uint8_t> reply);
    bool reply_matches(const Pending& p, std::span<const uint8_t> reply) const;
    void fail(Key key, Pending& p);
    void erase(Key key);
    std::optional<Key> new_key();
    bool is_listener_addr(const sockaddr_in& a) const;
    // The reply of our own to `packet` (sized for UDP or TCP), empty to say
    // nothing, or nullopt when it is to be forwarded (then `q` holds it).
    std::optional<std::vector<uint8_t>> local_reply(const std::string& network, std::span<const uint8_t> packet,
                                                    bool tcp, DnsQuery& q);
    std::vector<sockaddr_in> upstreams_of(const std::string& network, uint32_t client_ip) const;
    void send_to_client(const std::string& network, const sockaddr_in& client, std::span<const uint8_t> data);

    DnsView view_;
    DnsOptions options_;
    std::map<std::string, Listener> listeners_;
    std::map<std::string, UniqueFd> listeners6_;
    std::vector<UniqueFd> forwarders_;
    std::unordered_map<Key, Pending> pending_;
    std::map<uint64_t, Key> by_age_;
    uint64_t next_seq_ = 0;
    size_t next_forwarder_ = 0;
    std::mt19937 rng_;
    std::vector<uint8_t> buf_;  // one datagram; on the heap as it is 64 KiB
    DnsTcp tcp_;
};

}  // namespace skiff::net
