#include "net/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::net {

namespace {

struct Range {
    uint16_t first = 0, last = 0;
    size_t size() const { return static_cast<size_t>(last - first) + 1; }
};

uint16_t parse_port(const std::string& s, const std::string& spec) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit))
        throw Error("invalid port \"" + s + "\" in \"" + spec + "\"");
    int n = std::stoi(s);
    if (n < 1 || n > 65535) throw Error("invalid port \"" + s + "\" in \"" + spec + "\": must be 1-65535");
    return static_cast<uint16_t>(n);
}

Range parse_range(const std::string& s, const std::string& spec) {
    auto dash = s.find('-');
    if (dash == std::string::npos) {
        uint16_t p = parse_port(s, spec);
        return {p, p};
    }
    Range r{parse_port(s.substr(0, dash), spec), parse_port(s.substr(dash + 1), spec)};
    if (r.last < r.first) throw Error("invalid port range \"" + s + "\" in \"" + spec + "\": end is below start");
    return r;
}

std::string parse_proto(std::string& rest, const std::string& spec) {
    auto slash = rest.rfind('/');
    if (slash == std::string::npos) return "tcp";
    std::string proto = str::lower(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (proto == "tcp" || proto == "udp") return proto;
    if (proto == "sctp") throw Error("invalid port \"" + spec + "\": sctp is not supported (tcp, udp)");
    throw Error("invalid protocol \"" + proto + "\" in \"" + spec + "\": expected tcp or udp");
}

bool valid_ip(const std::string& ip) {
    in6_addr a6;
    in_addr a4;
    return inet_pton(AF_INET, ip.c_str(), &a4) == 1 || inet_pton(AF_INET6, ip.c_str(), &a6) == 1;
}

// Binds ip:port (0: any free one) as the helper will; returns the port.
uint16_t probe_bind(const PortMapping& m) {
    uint16_t port = 0;
    bound_socket(m, port);
    return port;
}

}  // namespace

UniqueFd bound_socket(const PortMapping& m, uint16_t& port) {
    bool v6 = m.host_ip.find(':') != std::string::npos;
    UniqueFd s(::socket(v6 ? AF_INET6 : AF_INET, (m.proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    int one = 1;
    // A TCP port in TIME_WAIT is free for a listener.
    if (m.proto == "tcp") ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(m.host_port);
        inet_pton(AF_INET6, m.host_ip.c_str(), &a->sin6_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(m.host_port);
        if (!m.host_ip.empty()) inet_pton(AF_INET, m.host_ip.c_str(), &a->sin_addr);
        len = sizeof *a;
    }
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
        int err = errno;
        std::string where = (m.host_ip.empty() ? "0.0.0.0" : m.host_ip) + ":" + std::to_string(m.host_port);
        if (err == EADDRINUSE)
            throw Error("cannot publish port " + std::to_string(m.container_port) + "/" + m.proto + ": " + where + "/" +
                        m.proto + " is already in use");
        std::string why = std::strerror(err);
        if (err == EACCES) {
            std::string start =
                str::trim(fs::read_file_if_exists("/proc/sys/net/ipv4/ip_unprivileged_port_start").value_or("1024"));
            if (m.host_port < std::atoi(start.c_str()))
                why += " (a rootless user binds ports from net.ipv4.ip_unprivileged_port_start, " + start +
                       " here: choose a port above it, or set net.ipv4.ip_unprivileged_port_start=" +
                       std::to_string(m.host_port) + " in /etc/sysctl.d as root)";
        }
        throw Error("cannot publish port " + std::to_string(m.container_port) + "/" + m.proto + " on " + where + ": " +
                    why);
    }
    if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0) throw_errno("getsockname");
    port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    return s;
}

std::vector<UniqueFd> bind_host_ports(std::vector<PortMapping>& ports) {
    assign_host_ports(ports);
    std::vector<UniqueFd> out;
    for (auto& m : ports) {
        uint16_t port = 0;
        auto fd = bound_socket(m, port);
        if (m.proto == "tcp" && ::listen(fd.get(), 128) < 0) throw_errno("listen on port " + std::to_string(port));
        out.push_back(std::move(fd));
    }
    return out;
}

namespace {

std::string shown_ip(const PortMapping& m) { return m.host_ip.empty() ? "0.0.0.0" : m.host_ip; }

std::string key_of(const PortMapping& m) { return std::to_string(m.container_port) + "/" + m.proto; }

}  // namespace

std::vector<PortMapping> parse_publish(const std::string& spec) {
    std::string rest = spec;
    std::string proto = parse_proto(rest, spec);
    std::string ip, host_part, ctr_part;
    if (!rest.empty() && rest[0] == '[') {
        auto close = rest.find(']');
        if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            throw Error("invalid port \"" + spec + "\": expected [IPv6]:hostPort:containerPort");
        ip = rest.substr(1, close - 1);
        rest = rest.substr(close + 2);
        auto [h, c] = str::split_once(rest, ':');
        if (rest.find(':') == std::string::npos) throw Error("invalid port \"" + spec + "\": no container port");
        host_part = h;
        ctr_part = c;
    } else {
        auto parts = str::split(rest, ':');
        if (parts.size() == 1) ctr_part = parts[0];
        else if (parts.size() == 2) host_part = parts[0], ctr_part = parts[1];
        else if (parts.size() == 3) ip = parts[0], host_part = parts[1], ctr_part = parts[2];
        else throw Error("invalid port \"" + spec + "\": expected [[ip:][hostPort]:]containerPort[/protocol]");
    }
    if (!ip.empty() && !valid_ip(ip)) throw Error("invalid IP address \"" + ip + "\" in port \"" + spec + "\"");
    if (ip == "0.0.0.0") ip.clear();
    if (ctr_part.empty()) throw Error("invalid port \"" + spec + "\": no container port");
    Range ctr = parse_range(ctr_part, spec);
    std::vector<PortMapping> out;
    if (host_part.empty()) {
        for (size_t i = 0; i < ctr.size(); ++i)
            out.push_back({ip, 0, static_cast<uint16_t>(ctr.first + i), proto});
        return out;
    }
    Range host = parse_range(host_part, spec);
    if (host.size() != ctr.size())
        throw Error("invalid port \"" + spec + "\": the host and container port ranges differ in size");
    for (size_t i = 0; i < ctr.size(); ++i)
        out.push_back({ip, static_cast<uint16_t>(host.first + i), static_cast<uint16_t>(ctr.first + i), proto});
    return out;
}

std::vector<PortMapping> parse_expose(const std::string& spec) {
    std::string rest = spec;
    std::string proto = parse_proto(rest, spec);
    Range r = parse_range(rest, spec);
    std::vector<PortMapping> out;
    for (size_t i = 0; i < r.size(); ++i) out.push_back({"", 0, static_cast<uint16_t>(r.first + i), proto});
    return out;
}

std::vector<PortMapping> plan_ports(const std::vector<std::string>& publish, bool publish_all,
                                    const std::vector<std::string>& exposed) {
    std::vector<PortMapping> out;
    for (auto& p : publish)
        for (auto& m : parse_publish(p)) out.push_back(m);
    if (publish_all)
        for (auto& e : exposed)
            for (auto& m : parse_expose(e)) {
                bool done = std::any_of(out.begin(), out.end(), [&](const PortMapping& o) {
                    return o.container_port == m.container_port && o.proto == m.proto;
                });
                if (!done) out.push_back(m);
            }
    return out;
}

void assign_host_ports(std::vector<PortMapping>& ports) {
    for (size_t i = 0; i < ports.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (ports[i].host_port != 0 && ports[i].host_port == ports[j].host_port &&
                ports[i].proto == ports[j].proto &&
                (ports[i].host_ip == ports[j].host_ip || ports[i].host_ip.empty() || ports[j].host_ip.empty()))
                throw Error("host port " + std::to_string(ports[i].host_port) + "/" + ports[i].proto +
                            " is published twice");
    for (auto& m : ports) m.host_port = probe_bind(m);
}

std::string format_ports(const std::vector<PortMapping>& ports) {
    std::vector<std::string> parts;
    // Consecutive host and container ports collapse into ranges, as Docker prints them.
    for (size_t i = 0; i < ports.size();) {
        size_t j = i;
        while (j + 1 < ports.size() && ports[j + 1].host_ip == ports[i].host_ip && ports[j + 1].proto == ports[i].proto &&
               ports[j + 1].host_port == ports[j].host_port + 1 && ports[j + 1].container_port == ports[j].container_port + 1)
            ++j;
        const auto& a = ports[i];
        const auto& b = ports[j];
        std::string host = std::to_string(a.host_port), ctr = std::to_string(a.container_port);
        if (j > i) host += "-" + std::to_string(b.host_port), ctr += "-" + std::to_string(b.container_port);
        std::string ip = shown_ip(a);
        if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
        parts.push_back(ip + ":" + host + "->" + ctr + "/" + a.proto);
        i = j + 1;
    }
    return str::join(parts, ", ");
}

std::vector<std::string> port_lines(const std::vector<PortMapping>& ports, const std::string& filter) {
    std::string want_proto, want_port;
    if (!filter.empty()) {
        std::string rest = filter;
        want_proto = parse_proto(rest, filter);
        want_port = std::to_string(parse_port(rest, filter));
    }
    std::vector<std::string> out;
    for (auto& m : ports) {
        if (!filter.empty() && (std::to_string(m.container_port) != want_port || m.proto != want_proto)) continue;
        std::string ip = shown_ip(m);
        if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
        out.push_back((filter.empty() ? key_of(m) + " -> " : "") + ip + ":" + std::to_string(m.host_port));
    }
    return out;
}

Json docker_port_map(const std::vector<PortMapping>& ports, const std::vector<std::string>& exposed) {
    Json out = Json::object();
    for (auto& e : exposed)
        for (auto& m : parse_expose(e)) out[key_of(m)] = nullptr;
    for (auto& m : ports) {
        auto& slot = out[key_of(m)];
        if (!slot.is_array()) slot = Json::array();
        slot.push_back({{"HostIp", shown_ip(m)}, {"HostPort", m.host_port ? std::to_string(m.host_port) : ""}});
    }
    return out;
}

Json ports_to_json(const std::vector<PortMapping>& ports) {
    Json a = Json::array();
    for (auto& m : ports)
        a.push_back({{"host_ip", m.host_ip}, {"host_port", m.host_port}, {"container_port", m.container_port},
                     {"proto", m.proto}});
    return a;
}

std::vector<PortMapping> ports_from_json(const Json& j) {
    std::vector<PortMapping> out;
    if (!j.is_array()) return out;
    for (auto& e : j)
        out.push_back({e.value("host_ip", ""), e.value("host_port", uint16_t{0}), e.value("container_port", uint16_t{0}),
                       e.value("proto", "tcp")});
    return out;
}

}  // namespace skiff::net
