// DNS server for user-defined networks (what aardvark-dns is to Podman and the
// embedded DNS server to Docker): containers resolve each other by name, other
// names go to the upstream servers. It owns no loop and no thread: the network
// daemon polls fds() and calls handle()/expire().
#pragma once

#include <netinet/in.h>

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
    void add_listener(const std::string& network, UniqueFd udp_socket);
    // Closes the listener and forgets the network's queries in flight.
    void remove_listener(const std::string& network);
    // Everything to poll for POLLIN. Changes only with add/remove_listener.
    std::vector<int> fds() const;
    // Call when `fd` is readable; reads what is queued. Never throws.
    void handle(int fd);
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
        DnsQuery query;
        std::vector<uint8_t> packet;  // the client's query, id replaced by ours
        std::vector<sockaddr_in> upstreams;
        size_t current = 0;  // index into upstreams
        std::chrono::steady_clock::time_point deadline;
        uint64_t seq = 0;
    };
    using Key = uint32_t;  // forwarding socket index << 16 | our query id

    void read_listener(const std::string& network, int fd);
    void read_forwarder(size_t index);
    void answer(const std::string& network, const sockaddr_in& client, std::span<const uint8_t> packet);
    std::optional<DnsAnswer> local_answer(const std::string& network, const DnsQuery& q);
    void forward(const std::string& network, const sockaddr_in& client, const DnsQuery& q,
                 std::span<const uint8_t> packet);
    // Sends to upstreams[current], then the next ones if sending fails; false if none is left.
    bool send_upstream(Key key, Pending& p, std::chrono::steady_clock::time_point now);
    void relay(Key key, Pending& p, std::span<uint8_t> reply);
    bool reply_matches(const Pending& p, std::span<const uint8_t> reply) const;
    void fail(Key key, Pending& p);
    void erase(Key key);
    std::optional<Key> new_key();
    bool is_listener_addr(const sockaddr_in& a) const;
    void send_to_client(const std::string& network, const sockaddr_in& client, std::span<const uint8_t> data);

    DnsView view_;
    DnsOptions options_;
    std::map<std::string, Listener> listeners_;
    std::vector<UniqueFd> forwarders_;
    std::unordered_map<Key, Pending> pending_;
    std::map<uint64_t, Key> by_age_;
    uint64_t next_seq_ = 0;
    size_t next_forwarder_ = 0;
    std::mt19937 rng_;
    std::vector<uint8_t> buf_;  // one datagram; on the heap as it is 64 KiB
};

}  // namespace skiff::net
