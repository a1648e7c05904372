// Containers on user-defined networks: one row per (container, network)
// with the interface name, address, MAC and aliases it has there.
#pragma once

#include <string>
#include <vector>

#include "net/network_records.hpp"
#include "state/db.hpp"

namespace skiff::net {

struct Attachment {
    std::string container_id, network_id;
    std::string ifname;  // eth0, eth1, … inside the container
    std::string ip, mac;
    std::vector<std::string> aliases;
    std::string ip6;  // "" unless the network is dual-stack
};

// What a container asks of one network (--network NAME, --ip, --mac-address,
// --network-alias, or network connect --ip/--alias).
struct AttachRequest {
    std::string ip, mac;
    std::vector<std::string> aliases;
    std::string ip6;  // --ip6
};

class AttachmentRecords {
public:
    explicit AttachmentRecords(state::Database& db) : db_(db) {}
    // Chooses the address and interface name in one transaction; an address
    // taken meanwhile by another process is chosen again.
    Attachment attach(const std::string& container_id, const Network& n, const AttachRequest& r);
    bool detach(const std::string& container_id, const std::string& network_id);
    std::vector<Attachment> of_container(const std::string& container_id);
    std::vector<Attachment> of_network(const std::string& network_id);

private:
    state::Database& db_;
};

}  // namespace skiff::net
