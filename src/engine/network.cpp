#include "engine/network.hpp"

#include "net/private_net.hpp"

namespace skiff::engine {

std::vector<net::PortMapping> container_ports(Engine& e, const container::Container& c) {
    if (!c.running()) return {};
    return net::published_ports(container::container_paths(e.paths(), c.id).rundir + "/net");
}

std::string ports_column(Engine& e, const container::Container& c) { return net::format_ports(container_ports(e, c)); }

Json port_bindings(const container::Container& c) {
    Json out = Json::object();
    for (auto& p : c.spec.publish)
        for (auto& m : net::parse_publish(p)) {
            auto& slot = out[std::to_string(m.container_port) + "/" + m.proto];
            if (!slot.is_array()) slot = Json::array();
            slot.push_back({{"HostIp", m.host_ip}, {"HostPort", m.host_port ? std::to_string(m.host_port) : ""}});
        }
    return out;
}

Json network_ports(Engine& e, const container::Container& c, const Json& image_config) {
    std::vector<std::string> exposed = c.spec.expose;
    if (image_config.contains("ExposedPorts") && image_config["ExposedPorts"].is_object())
        for (auto& [port, _] : image_config["ExposedPorts"].items()) exposed.push_back(port);
    if (!c.running()) return Json::object();
    return net::docker_port_map(container_ports(e, c), exposed);
}

}  // namespace skiff::engine
