#include "net/nft_rules.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace skiff::net {

std::string nft_script(const std::string& table, const std::vector<BridgeRules>& bridges,
                       const std::vector<DnatRule>& dnat, uint32_t relay_mark) {
    // "add table" first makes the delete valid when the table is missing.
    std::string s = "add table ip " + table + "\ndelete table ip " + table + "\n";
    if (bridges.empty()) return s;
    s += "table ip " + table + " {\n";
    if (relay_mark)
        s += "  chain mark_relayed {\n    type filter hook prerouting priority mangle; policy accept;\n"
             "    meta l4proto { tcp, udp } socket transparent 1 meta mark set " +
             std::to_string(relay_mark) + "\n  }\n";
    s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
    if (!dnat.empty())
        for (auto& b : bridges) s += "    ip saddr 127.0.0.0/8 oifname \"" + b.bridge + "\" masquerade\n";
    for (auto& b : bridges)
        if (!b.internal)
            s += "    ip saddr " + b.subnet + " ip daddr != " + b.subnet + " oifname != \"" + b.bridge +
                 "\" masquerade\n";
    s += "  }\n";
    // What arrives from elsewhere keeps its source address.
    s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n";
    // Containers reaching a published port through the host's address go
    // through the relay too: DNAT back onto their own bridge would need
    // hairpin masquerading.
    std::string from_outside;
    for (auto& b : bridges) from_outside += (from_outside.empty() ? "" : ", ") + ("\"" + b.bridge + "\"");
    from_outside = "iifname != { " + from_outside + " } ";
    auto match = [](const DnatRule& d) {
        return (d.host_ip.empty() ? std::string("fib daddr type local") : "ip daddr " + d.host_ip) + " " + d.proto +
               " dport " + std::to_string(d.host_port) + " dnat ip to " + d.target_ip + ":" +
               std::to_string(d.target_port) + "\n";
    };
    for (auto& d : dnat) {
        if (d.host_ip.find(':') != std::string::npos || d.host_ip.rfind("127.", 0) == 0) continue;
        s += "    " + from_outside + match(d);
    }
    s += "  }\n";
    // The host's own clients (loopback included: route_localnet is set on
    // the bridges, and their source is masqueraded below) skip the relay.
    s += "  chain output {\n    type nat hook output priority -100; policy accept;\n";
    for (auto& d : dnat)
        if (d.host_ip.find(':') == std::string::npos) s += "    " + match(d);
    s += "  }\n";
    s += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
    for (auto& b : bridges) {
        if (b.internal) {
            s += "    iifname \"" + b.bridge + "\" oifname != \"" + b.bridge + "\" reject\n";
            s += "    oifname \"" + b.bridge + "\" iifname != \"" + b.bridge + "\" reject\n";
        }
        for (auto& o : bridges)
            if (&o != &b) s += "    iifname \"" + b.bridge + "\" oifname \"" + o.bridge + "\" reject\n";
    }
    s += "  }\n";
    // An internal network reaches its DNS responder on the gateway and
    // nothing else of the host's.
    s += "  chain input {\n    type filter hook input priority filter; policy accept;\n";
    for (auto& b : bridges)
        if (b.internal) {
            s += "    iifname \"" + b.bridge + "\" udp dport 53 accept\n";
            s += "    iifname \"" + b.bridge + "\" tcp dport 53 accept\n";
            s += "    iifname \"" + b.bridge + "\" ct state established,related accept\n";
            s += "    iifname \"" + b.bridge + "\" reject\n";
        }
    s += "  }\n}\n";
    return s;
}

void apply_nft(const std::string& script) {
    auto nft = fs::find_system_executable("nft");
    if (!nft)
        throw Error("user-defined networks need nft (package nftables) for their address translation; install it",
                    kExitCannotInvoke);
    auto r = run_capture({*nft, "-f", "-"}, script);
    if (r.status != 0) {
        std::string why = str::trim(r.err);
        if (why.find("No such file or directory") != std::string::npos || why.find("Operation not supported") != std::string::npos)
            why += " (are the nf_tables, nft_chain_nat and nft_masq kernel modules loaded? a rootless user cannot "
                   "load them: sudo modprobe nft_chain_nat nft_masq)";
        throw Error("nft: " + why);
    }
}

}  // namespace skiff::net
