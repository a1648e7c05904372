#include "engine/network_attach.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "engine/containers.hpp"
#include "engine/networks.hpp"
#include "engine/userns.hpp"
#include "net/bridge_attach.hpp"
#include "net/cidr.hpp"
#include "net/cidr6.hpp"
#include "net/netd.hpp"
#include "net/private_net.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace skiff::engine {

namespace {

net::Network network_for_join(Engine& e, const std::string& name) {
    try {
        return find_network(e, name);
    } catch (const NotFound&) {
        throw NotFound("network " + name + " not found (create it with: skiff network create " + name + ")");
    }
}

}  // namespace

void use_default_network(Engine& e, container::ContainerSpec& spec) {
    if (spec.network != "private" || e.paths().rootless()) return;
    move_default_network_if_routed(e);
    spec.network = "networks";
    container::ContainerSpec::NetworkJoin j;
    j.name = kDefaultNetwork;
    spec.network_joins = {j};
}

void check_requested_networks(Engine& e, const container::ContainerSpec& spec) {
    for (auto& j : spec.network_joins) network_for_join(e, j.name);
}

void attach_requested_networks(Engine& e, const container::Container& c) {
    net::AttachmentRecords recs(e.db());
    for (auto& j : c.spec.network_joins) recs.attach(c.id, network_for_join(e, j.name), {j.ip, j.mac, j.aliases, j.ip6});
}

std::vector<net::Attachment> container_attachments(Engine& e, const std::string& container_id) {
    return net::AttachmentRecords(e.db()).of_container(container_id);
}

namespace {

Json network_entry(const net::Network& n, const net::Attachment& a) {
    Json j = {{"id", n.id},         {"name", n.name},         {"bridge", net::bridge_name(n.id)}, {"subnet", n.subnet},
              {"gateway", n.gateway}, {"internal", n.internal}, {"ifname", a.ifname},               {"ip", a.ip},
              {"mac", a.mac},       {"aliases", a.aliases}};
    // Docker's default bridge resolves no container names (nor does Podman's).
    if (n.builtin) {
        j["dns_names"] = false;
        j["builtin"] = true;
    }
    // Dual-stack (an attachment made before the network had IPv6 has none).
    if (n.ipv6 && !a.ip6.empty()) {
        j["subnet6"] = n.subnet6;
        j["gateway6"] = n.gateway6;
        j["ip6"] = a.ip6;
    }
    return j;
}

// The "networks" of a container's daemon record, from its attachments.
Json network_entries(Engine& e, const std::string& container_id) {
    Json nets = Json::array();
    for (auto& a : container_attachments(e, container_id))
        if (auto n = net::NetworkRecords(e.db()).get(a.network_id)) nets.push_back(network_entry(*n, a));
    return nets;
}

std::string ns_of(int pid, const char* type) { return "/proc/" + std::to_string(pid) + "/ns/" + type; }

// A running container's record at the daemon follows its attachments.
void update_running(Engine& e, const container::Container& c) {
    net::NetdFiles f(e.paths().netd_dir());
    Json rec = Json::parse(fs::read_file_if_exists(f.record(c.id)).value_or(""), nullptr, false);
    if (!rec.is_object()) throw Error("container " + c.name + " is not registered with the network daemon");
    rec["networks"] = network_entries(e, c.id);
    fs::write_volatile(f.record(c.id), rec.dump());
    net::netd_request(f, "update " + c.id);
}

// Entering the daemon's user namespace is what lets a rootless command
// plug interfaces in; as root there is nothing to enter.
std::string netd_userns(Engine& e, pid_t netd) { return e.paths().rootless() ? ns_of(netd, "user") : ""; }

pid_t running_daemon(Engine& e, const container::Container& c) {
    pid_t netd = net::running_netd(net::NetdFiles(e.paths().netd_dir()));
    if (netd <= 0) throw Error("the network daemon of container " + c.name + " is not running; restart the container");
    return netd;
}

}  // namespace

void plan_network_start(Engine& e, const container::Container& c, container::MonitorConfig& cfg) {
    if (c.spec.network != "networks") return;
    Json nets = network_entries(e, c.id);
    if (nets.empty())
        throw Error("container " + c.name + " is on no network any more (they were removed); connect it to one "
                    "with skiff network connect");
    cfg.network_record = {{"id", c.id}, {"name", c.name}, {"hostname", c.spec.hostname}, {"dns", c.spec.dns},
                          {"networks", nets}};
    cfg.netd_dir = e.paths().netd_dir();
}

Json container_networks_json(Engine& e, const container::Container& c) {
    Json out = Json::object();
    for (auto& a : container_attachments(e, c.id)) {
        auto n = net::NetworkRecords(e.db()).get(a.network_id);
        if (!n) continue;
        int prefix = net::parse_cidr(n->subnet).prefix;
        bool v6 = n->ipv6 && !a.ip6.empty();
        out[n->name] = {{"NetworkID", n->id},   {"EndpointID", ""},     {"Gateway", n->gateway},
                        {"IPAddress", a.ip},    {"IPPrefixLen", prefix}, {"MacAddress", a.mac},
                        {"Aliases", n->builtin ? Json() : Json(a.aliases)},
                        {"DNSNames", n->builtin ? Json() : Json::array({c.name, c.id.substr(0, 12)})},
                        {"IPv6Gateway", v6 ? n->gateway6 : ""},
                        {"GlobalIPv6Address", a.ip6},
                        {"GlobalIPv6PrefixLen", v6 ? net::parse_cidr6(n->subnet6).prefix : 0}};
    }
    return out;
}

net::NetdLease lease_network_daemon(Engine& e, container::MonitorConfig& cfg) {
    if (cfg.netd_dir.empty()) return {};
    bool rootless = e.paths().rootless();
    std::string helper = rootless ? net::choose_helper("private", e.ctx().config().network_helper) : "";
    net::NetdFiles files(cfg.netd_dir);
    auto lease = net::ensure_netd(files, [&](int ready_fd) {
        std::string log = files.log();
        fork_into_userns(
            [&]() -> int {
                ::setsid();
                int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
                int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                ::dup2(null, 0);
                ::dup2(null, 1);
                ::dup2(logfd >= 0 ? logfd : null, 2);
                ::dup2(ready_fd, 3);  // dup2 clears close-on-exec
                // A daemon keeps nothing of its starter's (a test harness
                // waits for its pipes to close).
                close_fds_from(4);
                exec_in_child(self_exe(), {"skiff", "__netd", files.dir, helper.empty() ? "-" : helper, "3"});
            },
            false);
    });
    cfg.netd_pid = lease.pid;
    if (rootless) cfg.uplink_gateway = net::helper_addresses(helper).gateway;
    return lease;
}

void connect_container(Engine& e, const std::string& network, const std::string& container,
                       const net::AttachRequest& r) {
    auto n = network_for_join(e, network);
    // Docker's default bridge has neither names nor chosen addresses.
    if (n.builtin && !r.aliases.empty())
        throw Error("network-scoped aliases are supported only on user-defined networks, not on " + n.name);
    if (n.builtin && (!r.ip.empty() || !r.ip6.empty()))
        throw Error("a chosen IP address is supported only on user-defined networks, not on " + n.name);
    auto c = refresh(e, find_container(e, container));
    if (c.spec.network != "networks")
        throw Error("container " + c.name + " uses --network " + c.spec.network +
                    ": only containers on user-defined networks can be connected to more");
    auto a = net::AttachmentRecords(e.db()).attach(c.id, n, r);
    if (!c.running()) return;
    try {
        pid_t netd = running_daemon(e, c);
        update_running(e, c);
        net::plug_container(ns_of(netd, "net"), ns_of(c.pid, "net"), c.id,
                            {net::bridge_port_from_json(network_entry(n, a))}, netd_userns(e, netd));
    } catch (...) {
        net::AttachmentRecords(e.db()).detach(c.id, n.id);
        try {
            update_running(e, c);
        } catch (const Error&) {
        }
        throw;
    }
}

void disconnect_container(Engine& e, const std::string& network, const std::string& container, bool force) {
    (void)force;  // Docker's -f matters for its cluster networks only
    auto n = network_for_join(e, network);
    auto c = refresh(e, find_container(e, container));
    std::optional<net::Attachment> a;
    for (auto& x : container_attachments(e, c.id))
        if (x.network_id == n.id) a = x;
    if (!a) throw Error("container " + c.name + " is not connected to network " + n.name);
    if (c.running()) {
        pid_t netd = running_daemon(e, c);
        net::unplug_container(ns_of(netd, "net"), c.id, {net::bridge_port_from_json(network_entry(n, *a))},
                              netd_userns(e, netd));
    }
    net::AttachmentRecords(e.db()).detach(c.id, n.id);
    if (c.running()) update_running(e, c);
}

}  // namespace skiff::engine
