// Published ports of containers on user-defined networks: a user-space
// forwarder (as Docker's docker-proxy and Podman's rootlessport). The
// listening sockets are bound on the host by the container's monitor; the
// forwarder runs where the bridges are and connects to the container's
// address. TCP goes through a buffer per direction; UDP keeps
// one socket per client address so replies find their way back.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace skiff::net {

class PortRelay {
public:
    PortRelay();
    ~PortRelay();
    PortRelay(const PortRelay&) = delete;
    PortRelay& operator=(const PortRelay&) = delete;

    // Serves `listener` (TCP listening or UDP bound) for `owner`, forwarding
    // to target (network order inside sockaddr_in).
    void add(const std::string& owner, UniqueFd listener, bool udp, const sockaddr_in& target);
    // Closes the owner's listeners and every connection through them.
    void remove(const std::string& owner);
    // Connections to the containers then come from the client's own
    // address (IP_TRANSPARENT) rather than ours, loopback clients aside:
    // the namespace must route the replies to its local sockets
    // (Netlink::route_marked_locally and nft's `socket transparent`).
    void set_transparent(bool on) { transparent_ = on; }
    // The fd to poll for POLLIN; then call run() (it never blocks).
    int fd() const { return ep_.get(); }
    void run();
    // Drops UDP flows idle for longer than the timeout.
    void expire(std::chrono::steady_clock::time_point now);

private:
    struct Endpoint;
    struct Stream;
    struct Flow;
    void accept_tcp(Endpoint& l);
    void udp_in(Endpoint& l);
    void flow_in(Flow& f);
    void pump(Stream& s);
    void close_stream(Stream* s);
    void watch(int fd, uint32_t events, void* tag, bool add);

    UniqueFd socket_to(const sockaddr_storage& client, int type);

    UniqueFd ep_;
    bool transparent_ = false;
    std::vector<std::unique_ptr<Endpoint>> endpoints_;
    std::vector<std::unique_ptr<Stream>> streams_;
    std::vector<std::unique_ptr<Flow>> flows_;
};

}  // namespace skiff::net
