#include "net/bridge_attach.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "net/cidr.hpp"
#include "net/cidr6.hpp"
#include "net/netlink.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/host.hpp"
#include "util/sha256.hpp"

namespace skiff::net {

namespace {

// Runs `body` in a child that entered `netns`; its error comes back as ours.
void in_child_in_netns(const std::string& netns, const std::string& userns, const std::function<void()>& body) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd r(p[0]), w(p[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        r.reset();
        std::string err;
        try {
            if (!userns.empty()) {
                UniqueFd us(::open(userns.c_str(), O_RDONLY | O_CLOEXEC));
                if (!us || ::setns(us.get(), CLONE_NEWUSER) < 0) throw_errno("enter the user namespace " + userns);
            }
            UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
            if (!ns || ::setns(ns.get(), CLONE_NEWNET) < 0) throw_errno("enter the networks' namespace " + netns);
            body();
        } catch (const std::exception& e) {
            err = e.what();
        }
        if (!err.empty()) (void)!::write(w.get(), err.data(), err.size());
        ::_exit(err.empty() ? 0 : 1);
    }
    w.reset();
    std::string err;
    char buf[512];
    ssize_t n;
    while ((n = ::read(r.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) err.append(buf, static_cast<size_t>(n));
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!err.empty()) throw Error(err);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) throw Error("setting up the container's network interfaces failed");
}

// Runs `body` with a netlink socket in `netns`. The host's root opens one
// there and stays where it is; anyone else must enter the namespace (and
// `userns` first) for good, so in a short child.
void with_netlink_in(const std::string& netns, const std::string& userns, const std::function<void(Netlink&)>& body) {
    if (userns.empty() && ::geteuid() == 0 && !host::in_user_namespace()) {
        UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns) throw_errno("open the networks' namespace " + netns);
        Netlink nl = Netlink::in_netns(ns.get());
        body(nl);
        return;
    }
    in_child_in_netns(netns, userns, [&] {
        Netlink nl;
        body(nl);
    });
}

}  // namespace

BridgePort bridge_port_from_json(const Json& n) {
    BridgePort p;
    p.network_id = n.value("id", "");
    p.bridge = n.value("bridge", "");
    p.ifname = n.value("ifname", "");
    p.ip = n.value("ip", "");
    p.mac = n.value("mac", "");
    p.gateway = n.value("gateway", "");
    p.prefix = parse_cidr(n.value("subnet", "")).prefix;
    p.internal = n.value("internal", false);
    p.dns_names = n.value("dns_names", true);
    p.ip6 = n.value("ip6", "");
    p.gateway6 = n.value("gateway6", "");
    if (!p.ip6.empty()) p.prefix6 = parse_cidr6(n.value("subnet6", "")).prefix;
    return p;
}

std::string host_veth_name(const std::string& container_id, const std::string& network_id) {
    return "veth" + Sha256::of(container_id + "/" + network_id).substr(0, 10);
}

void plug_container(const std::string& bridges_netns, const std::string& container_netns,
                    const std::string& container_id, const std::vector<BridgePort>& ports, const std::string& userns) {
    UniqueFd cns(::open(container_netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!cns) throw_errno("open " + container_netns);
    with_netlink_in(bridges_netns, userns, [&](Netlink& host) {
        Netlink ctr = Netlink::in_netns(cns.get());
        ctr.set_up("lo");
        for (auto& p : ports) {
            std::string name = host_veth_name(container_id, p.network_id);
            host.delete_link(name);  // left by a monitor killed with -9
            host.create_veth(name, p.ifname, cns.get(), p.mac);
            host.set_master(name, p.bridge);
            host.set_up(name);
            ctr.add_ipv4_address(p.ifname, p.ip, p.prefix);
            if (!p.ip6.empty()) ctr.add_ipv6_address(p.ifname, p.ip6, p.prefix6);
            ctr.set_up(p.ifname);
        }
        // The first network with a way out routes everything else.
        for (auto& p : ports)
            if (!p.internal) {
                ctr.add_ipv4_default_route(p.gateway);
                break;
            }
        for (auto& p : ports)
            if (!p.internal && !p.ip6.empty()) {
                ctr.add_ipv6_default_route(p.ifname, p.gateway6);
                break;
            }
    });
}

void unplug_container(const std::string& bridges_netns, const std::string& container_id,
                      const std::vector<BridgePort>& ports, const std::string& userns) noexcept {
    try {
        with_netlink_in(bridges_netns, userns, [&](Netlink& host) {
            for (auto& p : ports) host.delete_link(host_veth_name(container_id, p.network_id));
        });
    } catch (const std::exception&) {
        // The namespace is gone (the daemon quit): so are the veths.
    }
}

}  // namespace skiff::net
