#include "net/attachments.hpp"

#include <set>

#include "net/cidr6.hpp"
#include "net/ipam.hpp"
#include "util/error.hpp"
#include "util/json.hpp"
#include "net/netlink.hpp"
#include "util/strings.hpp"

namespace skiff::net {

namespace {

constexpr const char* kColumns = "container_id, network_id, ifname, ip, mac, aliases, ip6";

Attachment read(state::Statement& st) {
    Attachment a;
    a.container_id = st.text(0);
    a.network_id = st.text(1);
    a.ifname = st.text(2);
    a.ip = st.text(3);
    a.mac = st.text(4);
    Json al = Json::parse(st.text(5), nullptr, false);
    if (al.is_array())
        for (auto& x : al)
            if (x.is_string()) a.aliases.push_back(x.get<std::string>());
    a.ip6 = st.text(6);
    return a;
}

}  // namespace

Attachment AttachmentRecords::attach(const std::string& container_id, const Network& n, const AttachRequest& r) {
    if (!r.mac.empty() && !valid_mac(r.mac))
        throw Error("invalid --mac-address \"" + r.mac + "\": expected six hex pairs (02:42:ac:11:00:02), unicast");
    if (!r.ip6.empty() && !n.ipv6)
        throw Error("--ip6 " + r.ip6 + ": network " + n.name + " has no IPv6 (create it with --ipv6)");
    state::Transaction tx(db_);
    // The subnet as it is now: the default network may have moved since
    // the caller read it.
    auto current = NetworkRecords(db_).get(n.id);
    if (!current) throw Error("network " + n.name + " was removed meanwhile");
    auto pool = pool_of(current->subnet, current->ip_range, current->gateway);
    auto dup = db_.prepare("SELECT 1 FROM network_attachments WHERE container_id = ?1 AND network_id = ?2");
    dup.bind(1, container_id).bind(2, n.id);
    if (dup.step()) throw Error("container " + container_id.substr(0, 12) + " is already connected to network " + n.name);
    std::set<uint32_t> used;
    auto ips = db_.prepare("SELECT ip FROM network_attachments WHERE network_id = ?1");
    ips.bind(1, n.id);
    while (ips.step())
        if (auto a = parse_ipv4(ips.text(0))) used.insert(*a);
    std::set<Ipv6Addr> used6;
    auto ip6s = db_.prepare("SELECT ip6 FROM network_attachments WHERE network_id = ?1 AND ip6 != ''");
    ip6s.bind(1, n.id);
    while (ip6s.step())
        if (auto a = parse_ipv6(ip6s.text(0))) used6.insert(*a);
    std::set<std::string> ifnames;
    auto ifs = db_.prepare("SELECT ifname FROM network_attachments WHERE container_id = ?1");
    ifs.bind(1, container_id);
    while (ifs.step()) ifnames.insert(ifs.text(0));
    Attachment a;
    a.container_id = container_id;
    a.network_id = n.id;
    for (int i = 0; a.ifname.empty(); ++i)
        if (!ifnames.count("eth" + std::to_string(i))) a.ifname = "eth" + std::to_string(i);
    a.ip = ipv4_string(r.ip.empty() ? next_free_address(pool, used, n.name)
                                    : check_requested_address(pool, r.ip, used, n.name));
    if (n.ipv6) {
        auto pool6 = pool6_of(n.subnet6, n.ip_range6, n.gateway6);
        a.ip6 = ipv6_string(r.ip6.empty() ? next_free_address6(pool6, used6, n.name)
                                          : check_requested_address6(pool6, r.ip6, used6, n.name));
    }
    a.mac = r.mac.empty() ? make_mac(container_id + "/" + n.id) : str::lower(r.mac);
    a.aliases = r.aliases;
    db_.prepare("INSERT INTO network_attachments (container_id, network_id, ifname, ip, mac, aliases, ip6) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, a.container_id)
        .bind(2, a.network_id)
        .bind(3, a.ifname)
        .bind(4, a.ip)
        .bind(5, a.mac)
        .bind(6, Json(a.aliases).dump())
        .bind(7, a.ip6)
        .run();
    tx.commit();
    return a;
}

bool AttachmentRecords::detach(const std::string& container_id, const std::string& network_id) {
    state::Transaction tx(db_);
    db_.prepare("DELETE FROM network_attachments WHERE container_id = ?1 AND network_id = ?2")
        .bind(1, container_id)
        .bind(2, network_id)
        .run();
    bool gone = db_.changes() > 0;
    tx.commit();
    return gone;
}

std::vector<Attachment> AttachmentRecords::of_container(const std::string& container_id) {
    std::vector<Attachment> out;
    auto st = db_.prepare(std::string("SELECT ") + kColumns +
                          " FROM network_attachments WHERE container_id = ?1 ORDER BY ifname");
    st.bind(1, container_id);
    while (st.step()) out.push_back(read(st));
    return out;
}

std::vector<Attachment> AttachmentRecords::of_network(const std::string& network_id) {
    std::vector<Attachment> out;
    // By container ID: network inspect's Containers in Docker's order (a Go map, marshalled by key).
    auto st = db_.prepare(std::string("SELECT ") + kColumns +
                          " FROM network_attachments WHERE network_id = ?1 ORDER BY container_id");
    st.bind(1, network_id);
    while (st.step()) out.push_back(read(st));
    return out;
}

}  // namespace skiff::net
