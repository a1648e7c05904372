#include "net/modes.hpp"

#include <algorithm>
#include <regex>

#include "net/ports.hpp"
#include "util/error.hpp"

namespace skiff::net {

std::string parse_network_mode(const std::string& value) {
    if (value.empty() || value == "private" || value == "bridge" || value == "default") return "private";
    if (value == "pasta" || value == "slirp4netns" || value == "none" || value == "host") return value;
    if (value.rfind("pasta:", 0) == 0 || value.rfind("slirp4netns:", 0) == 0)
        throw Error("--network " + value + ": helper options are not supported yet; use --network " +
                    value.substr(0, value.find(':')));
    if (value.rfind("ns:", 0) == 0) {
        if (value.size() == 3 || value[3] != '/') throw Error("--network " + value + ": ns: needs an absolute path");
        return value;
    }
    if (value.rfind("container:", 0) == 0) {
        if (value.size() == 10) throw Error("--network container: needs a container name or ID");
        return value;  // resolved to an ID at create, as --ipc/--pid/--uts
    }
    if (value.find(',') != std::string::npos)
        throw Error("--network " + value + ": give one network per --network flag");
    static const std::regex name_ok("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    if (!std::regex_match(value, name_ok)) throw Error("--network " + value + ": not a network mode or network name");
    return "networks";
}

NetworkChoice parse_network_flags(const std::vector<std::string>& values) {
    NetworkChoice c;
    c.mode = "private";
    for (size_t i = 0; i < values.size(); ++i) {
        std::string mode = parse_network_mode(values[i]);
        if (mode == "networks") {
            if (std::find(c.names.begin(), c.names.end(), values[i]) != c.names.end())
                throw Error("--network " + values[i] + " given twice");
            c.names.push_back(values[i]);
        } else if (values.size() > 1) {
            throw Error("--network " + values[i] + " cannot be combined with other --network values: only "
                        "user-defined networks can be joined together");
        }
        c.mode = mode;
    }
    return c;
}

bool is_private_mode(const std::string& mode) { return mode == "private" || mode == "pasta" || mode == "slirp4netns"; }

bool has_own_ports(const std::string& mode) { return is_private_mode(mode) || mode == "networks"; }

void check_port_flags(const std::string& mode, const std::vector<std::string>& publish,
                      const std::vector<std::string>& expose) {
    for (auto& p : publish) parse_publish(p);
    for (auto& e : expose) parse_expose(e);
    if (!publish.empty() && !has_own_ports(mode))
        throw Error("cannot publish ports with --network " + mode +
                    (mode == "host" ? ": the container's ports are the host's" : ": it has no network of its own to forward to"));
}

}  // namespace skiff::net
