// The engine's view of container networking (ports for ps, port, inspect).
#pragma once

#include <string>
#include <vector>

#include "container/record.hpp"
#include "engine/engine.hpp"
#include "net/ports.hpp"
#include "util/json.hpp"

namespace skiff::engine {

// The ports a running container publishes now (host ports as chosen).
std::vector<net::PortMapping> container_ports(Engine& e, const container::Container& c);
// "0.0.0.0:8080->80/tcp" for ps.
std::string ports_column(Engine& e, const container::Container& c);
// HostConfig.PortBindings: what was asked for (host port "" when any).
Json port_bindings(const container::Container& c);
// NetworkSettings.Ports: the live mappings, exposed-only ports as null.
Json network_ports(Engine& e, const container::Container& c, const Json& image_config);

}  // namespace skiff::engine
