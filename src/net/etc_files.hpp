// The container's /etc/hosts, /etc/hostname and /etc/resolv.conf, written
// to the run dir and bind-mounted in.
#pragma once

#include <string>
#include <vector>

namespace skiff::net {

struct EtcFiles {
    std::string hostname;
    std::string name;           // the container's name (an alias in hosts)
    bool host_network = false;  // --network host: the host's names, no own entry
    std::string container_ip;   // "" = 127.0.1.1 stands in (no network, or unknown)
    std::string container_ip6;  // dual-stack networks: a second line for the names
    std::string host_gateway;   // reaches the host: host.containers.internal; "" = none
    std::string dns_forward;    // replaces loopback resolvers of the host; "" = keep them
    // No IPv6 way out (root's default bridge without IPv6): the host's IPv6
    // resolvers are left out, as Docker does, rather than time out.
    bool ipv4_only = false;
    std::vector<std::string> dns, dns_search, dns_options, add_hosts;
    // User-defined networks: skiff's DNS responders (the gateways). They
    // are the only nameservers (they forward to --dns or the host's), and
    // their domain is searched first.
    std::vector<std::string> dns_responders;
};

// The search domain of the responders (Podman's).
inline constexpr const char* kNetworkDnsDomain = "dns.podman";

// What the container's network gives the files (ContainerNetwork).
struct EtcAddresses {
    std::string ip, host_gateway, dns_forward;
    std::string ip6;  // the first dual-stack network's
    std::vector<std::string> dns_responders;
    bool ipv4_only = false;  // EtcFiles::ipv4_only
};

std::string hosts_file(const EtcFiles& e);
// `host_resolv`: the host's resolv.conf text.
std::string resolv_file(const EtcFiles& e, const std::string& host_resolv);
void write_etc_files(const EtcFiles& e, const std::string& dir);

}  // namespace skiff::net
