#include "net/network_records.hpp"

#include "util/json.hpp"

namespace skiff::net {

namespace {

Network read(state::Statement& st) {
    Network n;
    n.id = st.text(0);
    n.name = st.text(1);
    n.created = st.integer(2);
    Json c = Json::parse(st.text(3), nullptr, false);
    if (c.is_object()) {
        n.driver = c.value("driver", "bridge");
        n.subnet = c.value("subnet", "");
        n.gateway = c.value("gateway", "");
        n.ip_range = c.value("ip_range", "");
        n.internal = c.value("internal", false);
        n.ipv6 = c.value("ipv6", false);
        n.builtin = c.value("builtin", false);
        n.subnet6 = c.value("subnet6", "");
        n.gateway6 = c.value("gateway6", "");
        n.ip_range6 = c.value("ip_range6", "");
        if (c.contains("labels") && c["labels"].is_object())
            for (auto& [k, v] : c["labels"].items()) n.labels[k] = v.get<std::string>();
    }
    return n;
}

std::string config_json(const Network& n) {
    Json c = {{"driver", n.driver}, {"subnet", n.subnet}, {"gateway", n.gateway}, {"ip_range", n.ip_range},
              {"internal", n.internal}, {"ipv6", n.ipv6}, {"labels", n.labels}};
    if (n.builtin) c["builtin"] = true;
    if (n.ipv6) {
        c["subnet6"] = n.subnet6;
        c["gateway6"] = n.gateway6;
        c["ip_range6"] = n.ip_range6;
    }
    return c.dump();
}

}  // namespace

bool NetworkRecords::insert(const Network& n) {
    db_.prepare("INSERT OR IGNORE INTO networks (id, name, created, config) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, n.id)
        .bind(2, n.name)
        .bind(3, n.created)
        .bind(4, config_json(n))
        .run();
    return db_.changes() > 0;
}

void NetworkRecords::update(const Network& n) {
    db_.prepare("UPDATE networks SET config = ?2 WHERE id = ?1").bind(1, n.id).bind(2, config_json(n)).run();
}

std::optional<Network> NetworkRecords::get(const std::string& ref) {
    auto st = db_.prepare("SELECT id, name, created, config FROM networks WHERE name = ?1 OR id = ?1");
    st.bind(1, ref);
    if (st.step()) return read(st);
    // A unique ID prefix, as Docker accepts.
    auto pre = db_.prepare("SELECT id, name, created, config FROM networks WHERE substr(id, 1, length(?1)) = ?1");
    pre.bind(1, ref);
    std::optional<Network> found;
    while (pre.step()) {
        if (found) return std::nullopt;
        found = read(pre);
    }
    return found;
}

std::vector<Network> NetworkRecords::list() {
    std::vector<Network> out;
    auto st = db_.prepare("SELECT id, name, created, config FROM networks ORDER BY name");
    while (st.step()) out.push_back(read(st));
    return out;
}

bool NetworkRecords::remove(const std::string& id) {
    db_.prepare("DELETE FROM networks WHERE id = ?1").bind(1, id).run();
    return db_.changes() > 0;
}

std::vector<std::string> NetworkRecords::users_of(const Network& n) {
    std::vector<std::string> out;
    auto st = db_.prepare("SELECT container_id FROM network_attachments WHERE network_id = ?1 ORDER BY container_id");
    st.bind(1, n.id);
    while (st.step()) out.push_back(st.text(0));
    return out;
}

}  // namespace skiff::net
