#include "engine/networks.hpp"

#include <algorithm>
#include <regex>

#include "engine/containers.hpp"
#include "net/attachments.hpp"
#include "net/cidr.hpp"
#include "net/cidr6.hpp"
#include "net/host_addresses.hpp"
#include "net/netd.hpp"
#include "state/db.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::engine {

namespace {

net::NetworkRecords raw_records(Engine& e) { return net::NetworkRecords(e.db()); }

// The host's routes and the subnets of its addresses (a VPN's /32, routed
// by a rule of its own, is in no route), but those of `own_bridge` (the
// network's own, up while its daemon runs).
std::vector<net::Ipv4Net> host_subnets(const std::string& own_bridge) {
    std::vector<net::Ipv4Net> out;
    // Routes wider than /8 are a full-tunnel VPN's default in halves
    // (OpenVPN's 0.0.0.0/1 and 128.0.0.0/1), not a network of the host's.
    for (auto& r : net::parse_proc_net_route(fs::read_file_if_exists("/proc/net/route").value_or("")))
        if (r.iface != own_bridge && r.destination.prefix >= 8) out.push_back(r.destination);
    for (auto& a : net::host_ipv4_addresses())
        if (a.iface != own_bridge) out.push_back(a.subnet());
    return out;
}

// What an automatic subnet must not overlap: the host's subnets and the
// other networks'.
std::vector<net::Ipv4Net> taken_subnets(Engine& e, const std::string& own_id) {
    std::vector<net::Ipv4Net> taken = host_subnets(own_id.empty() ? "" : net::bridge_name(own_id));
    for (auto& o : raw_records(e).list())
        if (!o.subnet.empty() && o.id != own_id) taken.push_back(net::parse_cidr(o.subnet));
    return taken;
}

void set_subnet(net::Network& n, const net::Ipv4Net& subnet) {
    n.subnet = net::cidr_string(subnet);
    n.gateway = net::ipv4_string(net::default_gateway(subnet));
}

// As root, Docker's `bridge` exists before anyone asks for it: made on the
// store's first use of networks. With no free subnet (a VPN routing all of
// 172.16/12 and 10.88/16) only the default network is missing: `required`
// says whether that is an error here.
void ensure_default_network(Engine& e, bool required = false) {
    if (e.paths().rootless() || raw_records(e).get(kDefaultNetwork)) return;
    net::Network n;
    n.name = kDefaultNetwork;
    n.id = state::random_id();
    try {
        set_subnet(n, net::default_bridge_subnet(taken_subnets(e, "")));
    } catch (const Error&) {
        if (required) throw;
        return;
    }
    n.builtin = true;
    n.created = timeutil::now_ns();
    raw_records(e).insert(n);  // a concurrent command may have made it: either one stays
}

net::NetworkRecords records(Engine& e) {
    ensure_default_network(e);
    return raw_records(e);
}

void check_name(const std::string& name) {
    static const std::regex ok("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    if (!std::regex_match(name, ok))
        throw Error("invalid network name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    for (const char* r : {"none", "host", "bridge", "private", "pasta", "slirp4netns", "default", "podman"})
        if (name == r) throw Error("network name \"" + name + "\" is reserved (a built-in network mode)");
}

Json labels_json(const net::Network& n) {
    Json l = Json::object();
    for (auto& [k, v] : n.labels) l[k] = v;
    return l;
}

bool matches(const net::Network& n, const std::string& key, const std::string& value) {
    if (key == "name") return n.name.find(value) != std::string::npos;
    if (key == "id") return n.id.rfind(value, 0) == 0;
    if (key == "driver") return n.driver == value;
    if (key == "label") {
        auto [k, v] = str::split_once(value, '=');
        auto it = n.labels.find(k);
        return it != n.labels.end() && (value.find('=') == std::string::npos || it->second == v);
    }
    throw Error("invalid filter \"" + key + "\": expected name, id, driver or label");
}

Json bridge_options(const net::Network& n) {
    if (!n.builtin) return Json::object();
    return {{"com.docker.network.bridge.default_bridge", "true"},
            {"com.docker.network.bridge.name", net::bridge_name(n.id)}};
}

}  // namespace

void move_default_network_if_routed(Engine& e) {
    if (e.paths().rootless()) return;
    ensure_default_network(e, true);
    state::Transaction tx(e.db());
    auto n = raw_records(e).get(kDefaultNetwork);
    if (!n || !n->builtin || !raw_records(e).users_of(*n).empty()) return;
    auto taken = taken_subnets(e, n->id);
    auto own = net::parse_cidr(n->subnet);
    if (std::none_of(taken.begin(), taken.end(), [&](const net::Ipv4Net& t) { return t.overlaps(own); })) return;
    set_subnet(*n, net::default_bridge_subnet(taken));
    raw_records(e).update(*n);
    tx.commit();
}

net::Network create_network(Engine& e, const NetworkCreateRequest& r) {
    if (r.driver != "bridge")
        throw Error("unsupported network driver \"" + r.driver + "\": only bridge is supported");
    // Docker's several --subnet: one per address family.
    auto by_family = [](const std::vector<std::string>& values, const char* flag, std::string& v4, std::string& v6) {
        for (auto& v : values) {
            std::string& slot = net::is_ipv6_text(v) ? v6 : v4;
            if (!slot.empty())
                throw Error(std::string("several IPv") + (&slot == &v6 ? "6" : "4") + " " + flag +
                            " values: give one IPv4 and one IPv6 at most");
            slot = v;
        }
    };
    std::string subnet4, subnet6, gateway4, gateway6, range4, range6;
    by_family(r.subnets, "--subnet", subnet4, subnet6);
    by_family(r.gateways, "--gateway", gateway4, gateway6);
    by_family(r.ip_ranges, "--ip-range", range4, range6);
    if (subnet4.empty() && (!gateway4.empty() || !range4.empty()))
        throw Error("--gateway and --ip-range need --subnet (an IPv4 one for " +
                    (gateway4.empty() ? range4 : gateway4) + ")");
    if (subnet6.empty() && (!gateway6.empty() || !range6.empty()))
        throw Error("--gateway and --ip-range need --subnet (an IPv6 one for " +
                    (gateway6.empty() ? range6 : gateway6) + ")");
    net::Network n;
    n.name = r.name;
    n.id = state::random_id();
    if (n.name.empty()) n.name = "skiff" + n.id.substr(0, 4);  // Podman names them podman1, …
    check_name(n.name);
    if (auto existing = records(e).get(n.name); existing && existing->name == n.name) {
        if (r.ignore) return *existing;
        throw Error("network name " + n.name + " already used: network already exists");
    }
    net::Ipv4Net subnet;
    if (!subnet4.empty()) {
        subnet = net::parse_cidr(subnet4);
        for (auto& o : records(e).list())
            if (!o.subnet.empty() && net::parse_cidr(o.subnet).overlaps(subnet))
                throw Error("subnet " + net::cidr_string(subnet) + " is already used by network " + o.name);
    } else {
        subnet = net::next_free_subnet(taken_subnets(e, n.id));
    }
    n.subnet = net::cidr_string(subnet);
    uint32_t gw = net::default_gateway(subnet);
    if (!gateway4.empty()) {
        auto g = net::parse_ipv4(gateway4);
        if (!g) throw Error("invalid --gateway \"" + gateway4 + "\": not an IPv4 address");
        if (!subnet.contains(*g) || *g == subnet.first() || *g == subnet.last())
            throw Error("--gateway " + gateway4 + " is not a host address of subnet " + n.subnet);
        gw = *g;
    }
    n.gateway = net::ipv4_string(gw);
    if (!range4.empty()) {
        auto range = net::parse_cidr(range4);
        if (!subnet.contains(range.first()) || !subnet.contains(range.last()))
            throw Error("--ip-range " + range4 + " is not inside subnet " + n.subnet);
        n.ip_range = net::cidr_string(range);
    }
    // An IPv6 --subnet asks for IPv6 as --ipv6 does (Podman's reading).
    n.ipv6 = r.ipv6 || !subnet6.empty();
    if (n.ipv6) {
        net::Ipv6Net s6;
        if (!subnet6.empty()) {
            s6 = net::parse_cidr6(subnet6);
            for (auto& o : records(e).list())
                if (!o.subnet6.empty() && net::parse_cidr6(o.subnet6).overlaps(s6))
                    throw Error("subnet " + net::cidr6_string(s6) + " is already used by network " + o.name);
        } else {
            std::vector<net::Ipv6Net> used6;
            for (auto& o : records(e).list())
                if (!o.subnet6.empty()) used6.push_back(net::parse_cidr6(o.subnet6));
            s6 = net::random_ula_subnet(used6);
        }
        n.subnet6 = net::cidr6_string(s6);
        net::Ipv6Addr gw6 = net::default_gateway6(s6);
        if (!gateway6.empty()) {
            auto g = net::parse_ipv6(gateway6);
            if (!g) throw Error("invalid --gateway \"" + gateway6 + "\": not an IPv6 address");
            if (!s6.contains(*g) || *g == s6.addr)
                throw Error("--gateway " + gateway6 + " is not a host address of subnet " + n.subnet6);
            gw6 = *g;
        }
        n.gateway6 = net::ipv6_string(gw6);
        if (!range6.empty()) {
            auto range = net::parse_cidr6(range6);
            if (!s6.contains(range.addr) || !s6.contains(range.last()))
                throw Error("--ip-range " + range6 + " is not inside subnet " + n.subnet6);
            n.ip_range6 = net::cidr6_string(range);
        }
    }
    n.driver = r.driver;
    n.internal = r.internal;
    n.labels = r.labels;
    n.created = timeutil::now_ns();
    if (!records(e).insert(n)) throw Error("network name " + n.name + " already used: network already exists");
    return n;
}

net::Network find_network(Engine& e, const std::string& ref) {
    auto n = records(e).get(ref);
    if (!n) throw NotFound("unable to find network with name or ID " + ref + ": network not found");
    return *n;
}

std::vector<net::Network> all_networks(Engine& e) { return records(e).list(); }

std::vector<Json> list_networks(Engine& e, const std::vector<std::string>& filters) {
    std::map<std::string, std::vector<std::string>> by_key;
    for (auto& f : filters) {
        auto [k, v] = str::split_once(f, '=');
        if (f.find('=') == std::string::npos) throw Error("invalid filter \"" + f + "\": expected KEY=VALUE");
        by_key[k].push_back(v);
    }
    std::vector<Json> rows;
    for (auto& n : records(e).list()) {
        bool ok = true;
        for (auto& [k, values] : by_key)
            ok = ok && std::any_of(values.begin(), values.end(), [&](const std::string& v) { return matches(n, k, v); });
        if (!ok) continue;
        std::vector<std::string> ls;
        for (auto& [k, v] : n.labels) ls.push_back(k + "=" + v);
        rows.push_back({{"ID", n.id.substr(0, 12)}, {"Id", n.id}, {"Name", n.name}, {"Driver", n.driver},
                        {"Scope", "local"}, {"IPv6", n.ipv6}, {"Internal", n.internal},
                        {"Labels", str::join(ls, ",")}, {"CreatedAt", timeutil::rfc3339_nano(n.created)}});
    }
    return rows;
}

Json inspect_network(Engine& e, const net::Network& n) {
    Json config = Json::array();
    Json c = {{"Subnet", n.subnet}, {"Gateway", n.gateway}};
    if (!n.ip_range.empty()) c["IPRange"] = n.ip_range;
    config.push_back(c);
    if (n.ipv6) {
        Json c6 = {{"Subnet", n.subnet6}, {"Gateway", n.gateway6}};
        if (!n.ip_range6.empty()) c6["IPRange"] = n.ip_range6;
        config.push_back(c6);
    }
    int prefix6 = n.subnet6.empty() ? 0 : net::parse_cidr6(n.subnet6).prefix;
    Json containers = Json::object();
    int prefix = n.subnet.empty() ? 0 : net::parse_cidr(n.subnet).prefix;
    for (auto& a : net::AttachmentRecords(e.db()).of_network(n.id)) {
        std::string name;
        try {
            name = find_container(e, a.container_id).name;
        } catch (const NotFound&) {
            continue;
        }
        containers[a.container_id] = {{"Name", name},
                                      {"EndpointID", ""},
                                      {"MacAddress", a.mac},
                                      {"IPv4Address", a.ip + "/" + std::to_string(prefix)},
                                      {"IPv6Address", a.ip6.empty() ? "" : a.ip6 + "/" + std::to_string(prefix6)}};
    }
    return {{"Name", n.name},
            {"Id", n.id},
            {"Created", timeutil::rfc3339_nano(n.created)},
            {"Scope", "local"},
            {"Driver", n.driver},
            {"EnableIPv6", n.ipv6},
            {"IPAM", {{"Driver", "default"}, {"Options", Json::object()}, {"Config", config}}},
            {"Internal", n.internal},
            {"Attachable", false},
            {"Containers", containers},
            {"Options", bridge_options(n)},
            {"Labels", labels_json(n)}};
}

void remove_network(Engine& e, const std::string& ref, bool force) {
    net::Network n;
    try {
        n = find_network(e, ref);
    } catch (const NotFound&) {
        if (force) return;  // Docker's -f: a missing network is no error
        throw;
    }
    if (n.builtin) throw Error(n.name + " is a pre-defined network and cannot be removed");
    auto users = records(e).users_of(n);
    if (!users.empty() && !force)
        throw Error("network " + n.name + " is in use by container " + users[0].substr(0, 12) +
                    ": remove it first or use -f");
    // Podman's -f: the containers on it go first.
    for (auto& id : users) {
        try {
            remove_container(e, find_container(e, id), true);
        } catch (const NotFound&) {
        }
    }
    records(e).remove(n.id);
}

std::vector<std::string> prune_networks(Engine& e, const std::vector<std::string>& filters) {
    int64_t until = 0;
    std::vector<std::pair<std::string, bool>> labels;  // KEY[=VALUE], wanted
    for (auto& f : filters) {
        auto [k, v] = str::split_once(f, '=');
        if (f.find('=') == std::string::npos) throw Error("invalid filter \"" + f + "\": expected KEY=VALUE");
        if (k == "until") until = timeutil::parse_time(v, timeutil::now_ns());
        else if (k == "label") labels.push_back({v, true});
        else if (k == "label!") labels.push_back({v, false});
        else throw Error("invalid filter \"" + k + "\" for network prune: expected until, label or label!");
    }
    std::vector<std::string> out;
    for (auto& n : records(e).list()) {
        if (n.builtin || (until && n.created >= until)) continue;
        bool keep = false;
        for (auto& [l, want] : labels)
            if (matches(n, "label", l) != want) keep = true;
        if (keep || !records(e).users_of(n).empty()) continue;
        records(e).remove(n.id);
        out.push_back(n.name);
    }
    return out;
}

}  // namespace skiff::engine
