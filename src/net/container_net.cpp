#include "net/container_net.hpp"

#include <unistd.h>

#include "net/cidr.hpp"
#include "net/modes.hpp"
#include "net/netd_client.hpp"
#include "net/netns.hpp"
#include "net/ports.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::net {

ContainerNetwork::ContainerNetwork(NetworkRequest r) : req_(std::move(r)) {
    if (is_private_mode(req_.mode)) {
        helper_ = choose_helper(req_.mode, req_.configured_helper);
        priv_ = std::make_unique<PrivateNetwork>(helper_, req_.dir);
    }
    if (req_.mode == "networks")
        for (auto& n : req_.record.value("networks", Json::array())) bridge_ports_.push_back(bridge_port_from_json(n));
}

std::string ContainerNetwork::netns_path() const {
    if (priv_) return priv_->netns_path();
    if (req_.mode == "networks") return req_.dir + "/netns";
    if (req_.mode.rfind("ns:", 0) == 0) return req_.mode.substr(3);
    return "";
}

std::string ContainerNetwork::bridges_netns() const { return "/proc/" + std::to_string(req_.netd_pid) + "/ns/net"; }

// Once per monitor: the daemon serves the names and ports of the container
// for as long as the monitor lives, restarts included.
void ContainerNetwork::register_with_netd() {
    NetdFiles f(req_.netd_dir);
    auto ports = plan_ports(req_.publish, req_.publish_all, req_.exposed);
    auto fds = bind_host_ports(ports);
    Json rec = req_.record;
    rec["monitor_pid"] = ::getpid();
    rec["ports"] = ports_to_json(ports);
    rec["target_ip"] = bridge_ports_.empty() ? "" : bridge_ports_.front().ip;
    fs::make_dirs(f.records(), 0700);
    fs::write_volatile(f.record(rec.value("id", "")), rec.dump());
    std::vector<int> raw;
    for (auto& fd : fds) raw.push_back(fd.get());
    netd_request(f, "add " + rec.value("id", ""), raw);
    registered_ = true;
    fs::make_dirs(req_.dir, 0700);
    fs::write_volatile(req_.dir + "/ports.json", ports_to_json(ports).dump());
}

void ContainerNetwork::begin() {
    if (begun_) return;
    if (req_.mode == "networks") {
        if (!registered_) {
            register_with_netd();
        } else if (auto text = fs::read_file_if_exists(NetdFiles(req_.netd_dir).record(req_.record.value("id", "")))) {
            // A restart: the networks as `network connect/disconnect` left them.
            Json rec = Json::parse(*text, nullptr, false);
            if (rec.is_object()) {
                bridge_ports_.clear();
                for (auto& n : rec.value("networks", Json::array())) bridge_ports_.push_back(bridge_port_from_json(n));
            }
        }
        fs::make_dirs(req_.dir, 0700);
        make_netns(netns_path());
        begun_ = true;
        plug_container(bridges_netns(), netns_path(), req_.record.value("id", ""), bridge_ports_);
        plugged_ = true;
        return;
    }
    if (!priv_) return;
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
    if (req_.mode == "networks" && begun_) {
        // No unplug: deleting a veth waits for the kernel (~20 ms), while
        // the namespace's last reference going away takes the pair with it
        // in the background. A restart's plug deletes a straggler first.
        plugged_ = false;
        remove_netns(netns_path());
    }
    begun_ = false;
}

void ContainerNetwork::release() noexcept {
    end();
    if (!registered_) return;
    registered_ = false;
    ::unlink((req_.dir + "/ports.json").c_str());
    try {
        netd_request(NetdFiles(req_.netd_dir), "del " + req_.record.value("id", ""));
    } catch (const std::exception&) {
        // It sweeps the records of monitors that are gone.
    }
}

void ContainerNetwork::resume() {
    begun_ = true;
    if (req_.mode == "networks") registered_ = plugged_ = true;
    if (priv_) priv_->resume(published_ports(req_.dir));
}

EtcAddresses ContainerNetwork::etc_addresses() const {
    EtcAddresses a;
    if (!helper_.empty()) {
        auto h = helper_addresses(helper_);
        a.ip = h.ip;
        a.host_gateway = h.gateway;
        a.dns_forward = h.dns_forward;
    }
    if (!bridge_ports_.empty()) {
        a.ip = bridge_ports_.front().ip;
        a.host_gateway = req_.uplink_gateway.empty() ? bridge_ports_.front().gateway : req_.uplink_gateway;
        for (auto& p : bridge_ports_)
            if (p.dns_names) a.dns_responders.push_back(p.gateway);
        for (auto& p : bridge_ports_)
            if (!p.ip6.empty() && a.ip6.empty()) a.ip6 = p.ip6;
        // The default network alone: Docker's resolv.conf (--dns, else the
        // host's resolvers), the host's loopback ones reached through the
        // responder on the gateway.
        if (a.dns_responders.empty()) {
            a.dns_forward = bridge_ports_.front().gateway;
            a.ipv4_only = a.ip6.empty();
        }
    }
    return a;
}

}  // namespace skiff::net
