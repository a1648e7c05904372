// Containers on user-defined networks, from the engine's side: addresses
// chosen at create (and connect), the network daemon made ready at start,
// and what the monitor needs to plug the container in.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "container/monitor.hpp"
#include "container/record.hpp"
#include "engine/engine.hpp"
#include "net/attachments.hpp"
#include "net/netd_client.hpp"

namespace skiff::engine {

// Create, as root: the default network is the built-in `bridge` (Docker's);
// rootless it stays private (pasta or slirp4netns per container).
void use_default_network(Engine& e, container::ContainerSpec& spec);
// Create: every --network NAME must exist (checked before the container is).
void check_requested_networks(Engine& e, const container::ContainerSpec& spec);
// Create: the addresses on the requested networks.
void attach_requested_networks(Engine& e, const container::Container& c);
std::vector<net::Attachment> container_attachments(Engine& e, const std::string& container_id);

// Start, with the database still open: the record the monitor registers.
void plan_network_start(Engine& e, const container::Container& c, container::MonitorConfig& cfg);
// NetworkSettings.Networks of inspect.
Json container_networks_json(Engine& e, const container::Container& c);

// Start, after the database is closed: the daemon running (started when
// needed). The lease must live until the monitor reported "started".
net::NetdLease lease_network_daemon(Engine& e, container::MonitorConfig& cfg);

// network connect/disconnect; a running container is plugged in (or out)
// at once.
void connect_container(Engine& e, const std::string& network, const std::string& container,
                       const net::AttachRequest& r);
void disconnect_container(Engine& e, const std::string& network, const std::string& container, bool force);

}  // namespace skiff::engine
