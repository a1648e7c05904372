// Published ports: `-p` / `-P` / `--expose` parsing, host port choice, and
// the forms Docker prints them in (ps, port, inspect).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/fd.hpp"
#include "util/json.hpp"

namespace skiff::net {

struct PortMapping {
    std::string host_ip;  // "" = every address
    uint16_t host_port = 0;  // 0 = a free one chosen at start
    uint16_t container_port = 0;
    std::string proto = "tcp";
    bool operator==(const PortMapping&) const = default;
};

// One `-p` value: [[ip:][hostPort]:]containerPort[/proto], ranges
// allowed on both sides (same length, or one host port for one container port).
std::vector<PortMapping> parse_publish(const std::string& spec);
// One `--expose` value or ExposedPorts key: port[-port][/proto].
std::vector<PortMapping> parse_expose(const std::string& spec);

// The mappings of a container: its `-p` values, then with `-P` every
// exposed port (image ExposedPorts keys and --expose) not published yet.
std::vector<PortMapping> plan_ports(const std::vector<std::string>& publish, bool publish_all,
                                    const std::vector<std::string>& exposed);

// Gives the host port 0 entries a free port and probe-binds every one:
// a port already in use is an Error naming it.
void assign_host_ports(std::vector<PortMapping>& ports);

// A socket bound to the mapping's host address and port (0: a free one,
// returned in `port`); a port in use is an Error naming it.
UniqueFd bound_socket(const PortMapping& m, uint16_t& port);
// assign_host_ports, then keeps every port bound (TCP: listening) for a
// forwarder to serve: the ports stay ours between the check and the use.
std::vector<UniqueFd> bind_host_ports(std::vector<PortMapping>& ports);

// "0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp" (ps PORTS).
std::string format_ports(const std::vector<PortMapping>& ports);
// "80/tcp -> 0.0.0.0:8080" lines (`port`), filtered by "80" or "80/udp" when given.
std::vector<std::string> port_lines(const std::vector<PortMapping>& ports, const std::string& filter);
// {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]} (inspect), with
// exposed-only ports as null as Docker prints them.
Json docker_port_map(const std::vector<PortMapping>& ports, const std::vector<std::string>& exposed);

Json ports_to_json(const std::vector<PortMapping>& ports);
std::vector<PortMapping> ports_from_json(const Json& j);

}  // namespace skiff::net
