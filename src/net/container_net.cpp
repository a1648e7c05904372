#include "net/container_net.hpp"

#include "net/modes.hpp"
#include "net/ports.hpp"

namespace skiff::net {

ContainerNetwork::ContainerNetwork(NetworkRequest r) : req_(std::move(r)) {
    if (is_private_mode(req_.mode)) {
        helper_ = choose_helper(req_.mode, req_.configured_helper);
        priv_ = std::make_unique<PrivateNetwork>(helper_, req_.dir);
    }
}

std::string ContainerNetwork::netns_path() const {
    if (priv_) return priv_->netns_path();
    if (req_.mode.rfind("ns:", 0) == 0) return req_.mode.substr(3);
    return "";
}

void ContainerNetwork::begin() {
    if (begun_ || !priv_) return;
    auto ports = plan_ports(req_.publish, req_.publish_all, req_.exposed);
    assign_host_ports(ports);
    priv_->start(ports);
    begun_ = true;
}

void ContainerNetwork::ready() {
    begin();
    if (priv_) priv_->wait_ready();
}

void ContainerNetwork::end() noexcept {
    if (priv_) priv_->stop();
    begun_ = false;
}

}  // namespace skiff::net
