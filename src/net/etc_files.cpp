#include "net/etc_files.hpp"

#include <algorithm>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::net {

namespace {

bool is_loopback(const std::string& ip) { return ip.rfind("127.", 0) == 0 || ip == "::1"; }

std::vector<std::string> words_after(const std::string& text, const std::string& key) {
    std::vector<std::string> out;
    for (auto& raw : str::split(text, '\n')) {
        std::string line = str::trim(raw);
        if (line.rfind(key, 0) != 0 || line.size() == key.size() || (line[key.size()] != ' ' && line[key.size()] != '\t'))
            continue;
        for (auto& w : str::split(str::trim(line.substr(key.size())), ' '))
            if (!w.empty()) out.push_back(str::trim(w));
    }
    return out;
}

}  // namespace

std::string hosts_file(const EtcFiles& e) {
    std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    if (!e.host_network) {
        std::string names = e.hostname;
        if (!e.name.empty() && e.name != e.hostname) names += " " + e.name;
        hosts += (e.container_ip.empty() ? "127.0.1.1" : e.container_ip) + "\t" + names + "\n";
        if (!e.container_ip6.empty()) hosts += e.container_ip6 + "\t" + names + "\n";
    }
    if (!e.host_gateway.empty()) hosts += e.host_gateway + "\thost.containers.internal host.docker.internal\n";
    for (auto& h : e.add_hosts) {
        auto colon = h.find(':');
        std::string name = h.substr(0, colon);
        std::string ip = colon == std::string::npos ? "" : h.substr(colon + 1);
        if (!ip.empty() && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
        if (colon == std::string::npos || name.empty() || ip.empty())
            throw Error("invalid --add-host \"" + h + "\": expected HOST:IP");
        if (ip == "host-gateway") {
            if (e.host_gateway.empty())
                throw Error("--add-host " + h + ": host-gateway needs a private network (no host address to map)");
            ip = e.host_gateway;
        }
        hosts += ip + "\t" + name + "\n";
    }
    return hosts;
}

std::string resolv_file(const EtcFiles& e, const std::string& host_resolv) {
    std::vector<std::string> servers = e.dns_responders.empty() ? e.dns : e.dns_responders;
    if (servers.empty()) {
        for (auto& s : words_after(host_resolv, "nameserver")) {
            // The host's loopback resolver (systemd-resolved, dnsmasq) is not
            // the container's: the helper forwards its own address there.
            if (is_loopback(s) && !e.host_network) {
                if (e.dns_forward.empty()) continue;
                s = e.dns_forward;
            } else if (e.ipv4_only && s.find(':') != std::string::npos) {
                continue;
            }
            if (std::find(servers.begin(), servers.end(), s) == servers.end()) servers.push_back(s);
        }
    }
    std::vector<std::string> search = e.dns_search.empty() ? words_after(host_resolv, "search") : e.dns_search;
    std::vector<std::string> options = e.dns_options.empty() ? words_after(host_resolv, "options") : e.dns_options;
    // `--dns-search .` clears the list, as Docker does.
    if (search.size() == 1 && search[0] == ".") search.clear();
    if (!e.dns_responders.empty()) search.insert(search.begin(), kNetworkDnsDomain);
    std::string out;
    if (!search.empty()) out += "search " + str::join(search, " ") + "\n";
    for (auto& s : servers) out += "nameserver " + s + "\n";
    if (!options.empty()) out += "options " + str::join(options, " ") + "\n";
    return out;
}

void write_etc_files(const EtcFiles& e, const std::string& dir) {
    fs::make_dirs(dir, 0755);
    fs::write_volatile(dir + "/hosts", hosts_file(e));
    fs::write_volatile(dir + "/hostname", e.hostname + "\n");
    fs::write_volatile(dir + "/resolv.conf", resolv_file(e, fs::read_file_if_exists("/etc/resolv.conf").value_or("")));
}

}  // namespace skiff::net
