// User-defined networks in the state database (the `networks` table of
// schema v1: id, name, created, config JSON).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/db.hpp"

namespace skiff::net {

struct Network {
    std::string id, name;
    int64_t created = 0;  // ns
    std::string driver = "bridge";
    std::string subnet, gateway, ip_range;  // CIDR, address, CIDR ("" = the whole subnet)
    // IPv6 of a dual-stack network (ipv6 true): the same three ("" when not).
    std::string subnet6, gateway6, ip_range6;
    bool internal = false, ipv6 = false;
    // Root's default network (Docker's `bridge`): made by skiff, never removed,
    // no container names in its DNS.
    bool builtin = false;
    std::map<std::string, std::string> labels;
};

class NetworkRecords {
public:
    explicit NetworkRecords(state::Database& db) : db_(db) {}
    // False when the name is taken.
    bool insert(const Network& n);
    std::optional<Network> get(const std::string& name_or_id);
    std::vector<Network> list();
    bool remove(const std::string& id);
    // Rewrites the configuration of the network with n.id (its name stays).
    void update(const Network& n);
    // IDs of the containers attached to it.
    std::vector<std::string> users_of(const Network& n);

private:
    state::Database& db_;
};

}  // namespace skiff::net
