#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>

#include "net/helpers.hpp"
#include "net/host_addresses.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::net {

std::vector<std::string> pasta_argv(const std::string& netns, const std::vector<PortMapping>& ports,
                                    const std::string& pid_file) {
    // --runas 0:0: pasta drops to "nobody" when it runs as (namespace) root
    // and then cannot join the namespace; we are already unprivileged
    // outside when rootless.
    std::vector<std::string> argv = {"pasta", "--config-net", "--quiet", "--runas", "0:0", "--dns-forward",
                                     kPastaDnsForward, "--pid", pid_file};
    bool tcp = false, udp = false;
    for (auto& m : ports) {
        std::string spec = (m.host_ip.empty() ? "" : m.host_ip + "/") + std::to_string(m.host_port) + ":" +
                           std::to_string(m.container_port);
        argv.push_back(m.proto == "udp" ? "--udp-ports" : "--tcp-ports");
        argv.push_back(spec);
        (m.proto == "udp" ? udp : tcp) = true;
    }
    // Without explicit lists pasta forwards "auto": every port bound on
    // either side, which is not what `-p` means.
    if (!tcp) argv.insert(argv.end(), {"--tcp-ports", "none"});
    if (!udp) argv.insert(argv.end(), {"--udp-ports", "none"});
    argv.insert(argv.end(), {"--tcp-ns", "none", "--udp-ns", "none", "--netns", netns});
    return argv;
}

void pasta_host_route(std::string& ip, std::string& gateway) {
    ip.clear();
    gateway.clear();
    std::string iface;
    // /proc/net/route: Iface Destination Gateway ... in host byte order hex.
    for (auto& line : str::split(fs::read_file_if_exists("/proc/net/route").value_or(""), '\n')) {
        char name[64];
        unsigned dest = 0, gw = 0;
        if (std::sscanf(line.c_str(), "%63s %x %x", name, &dest, &gw) != 3 || dest != 0) continue;
        iface = name;
        in_addr a{gw};
        char buf[INET_ADDRSTRLEN];
        gateway = inet_ntop(AF_INET, &a, buf, sizeof buf);
        break;
    }
    if (iface.empty()) return;
    for (auto& a : host_ipv4_addresses())
        if (a.iface == iface) {
            ip = ipv4_string(a.address);
            break;
        }
}

}  // namespace skiff::net
