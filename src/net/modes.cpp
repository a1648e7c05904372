#include "net/modes.hpp"

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
        throw Error("--network " + value + ": several networks are not implemented yet");
    throw Error("--network " + value + ": user-defined networks are not implemented yet (private, pasta, slirp4netns, "
                "none, host, ns:PATH)");
}

bool is_private_mode(const std::string& mode) { return mode == "private" || mode == "pasta" || mode == "slirp4netns"; }

void check_port_flags(const std::string& mode, const std::vector<std::string>& publish,
                      const std::vector<std::string>& expose) {
    for (auto& p : publish) parse_publish(p);
    for (auto& e : expose) parse_expose(e);
    if (!publish.empty() && !is_private_mode(mode))
        throw Error("cannot publish ports with --network " + mode +
                    (mode == "host" ? ": the container's ports are the host's" : ": it has no network of its own to forward to"));
}

}  // namespace skiff::net
