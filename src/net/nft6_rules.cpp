#include "net/nft6_rules.hpp"

namespace skiff::net {

std::string nft6_script(const std::string& table, const std::vector<Bridge6Rules>& bridges) {
    // "add table" first makes the delete valid when the table is missing.
    std::string s = "add table ip6 " + table + "\ndelete table ip6 " + table + "\n";
    if (bridges.empty()) return s;
    auto q = [](const std::string& name) { return "\"" + name + "\""; };
    s += "table ip6 " + table + " {\n";
    s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
    for (auto& b : bridges)
        if (!b.internal)
            s += "    ip6 saddr " + b.subnet + " ip6 daddr != " + b.subnet + " oifname != " + q(b.bridge) +
                 " masquerade\n";
    s += "  }\n";
    s += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
    for (auto& b : bridges) {
        if (b.internal) {
            s += "    iifname " + q(b.bridge) + " oifname != " + q(b.bridge) + " reject\n";
            s += "    oifname " + q(b.bridge) + " iifname != " + q(b.bridge) + " reject\n";
        }
        for (auto& o : bridges)
            if (&o != &b) s += "    iifname " + q(b.bridge) + " oifname " + q(o.bridge) + " reject\n";
    }
    s += "  }\n";
    // An internal network reaches its DNS responder on the gateway and
    // nothing else of the host's; neighbour discovery (ICMPv6) is what
    // finds the gateway at all.
    s += "  chain input {\n    type filter hook input priority filter; policy accept;\n";
    for (auto& b : bridges)
        if (b.internal) {
            s += "    iifname " + q(b.bridge) + " meta l4proto ipv6-icmp accept\n";
            s += "    iifname " + q(b.bridge) + " udp dport 53 accept\n";
            s += "    iifname " + q(b.bridge) + " tcp dport 53 accept\n";
            s += "    iifname " + q(b.bridge) + " ct state established,related accept\n";
            s += "    iifname " + q(b.bridge) + " reject\n";
        }
    s += "  }\n}\n";
    return s;
}

}  // namespace skiff::net
