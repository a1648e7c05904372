// The network of one container as its monitor runs it: the mode's
// namespace, ports and helper, set up before each start and torn down
// after each exit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/bridge_attach.hpp"
#include "net/etc_files.hpp"
#include "net/private_net.hpp"
#include "util/json.hpp"

namespace skiff::net {

struct NetworkRequest {
    std::string mode;             // as stored by parse_network_mode
    std::string configured_helper;  // skiff.conf network_helper
    std::vector<std::string> publish;
    bool publish_all = false;
    std::vector<std::string> exposed;  // image ExposedPorts keys and --expose
    std::string dir;                   // the container's run dir for network files
    // Mode "networks": the daemon (netd.hpp), and the container's record
    // for it (id, name, hostname, dns, networks with bridge, subnet,
    // gateway, internal, ifname, ip, mac, aliases).
    std::string netd_dir;
    int netd_pid = -1;
    Json record;
    std::string uplink_gateway;  // the host as the networks' namespace reaches it ("" = the gateway)
};



class ContainerNetwork {
public:
    explicit ContainerNetwork(NetworkRequest r);
    // pasta or slirp4netns for a private network, else "".
    const std::string& helper() const { return helper_; }
    // The namespace config.json joins; "" = a new one (none) or the host's.
    std::string netns_path() const;
    // Chooses host ports, makes the namespace and starts the helper; a
    // second call before end() does nothing.
    void begin();
    // Returns once the network is up (the container may run).
    void ready();
    void end() noexcept;
    // The monitor is done with the container (no restart): user-defined
    // networks forget it.
    void release() noexcept;
    // The monitor resumed after the idle monitor (container/handoff.hpp):
    // the network is as begin() and ready() left it, in this same process.
    void resume();
    EtcAddresses etc_addresses() const;

private:
    void register_with_netd();
    std::string bridges_netns() const;

    NetworkRequest req_;
    std::vector<BridgePort> bridge_ports_;
    bool registered_ = false, plugged_ = false;
    std::string helper_;
    std::unique_ptr<PrivateNetwork> priv_;
    bool begun_ = false;
};

}  // namespace skiff::net
