// network create, ls, inspect, rm, prune, exists, connect, disconnect.
#include <iostream>

#include "cli/context.hpp"
#include "commands/for_each.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "engine/engine.hpp"
#include "engine/network_attach.hpp"
#include "engine/networks.hpp"
#include "net/netd.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::FlagType;

int create_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    engine::NetworkCreateRequest r;
    if (!args.positionals.empty()) r.name = args.positionals[0];
    r.driver = args.str("driver", "bridge");
    r.subnets = args.list("subnet");
    r.gateways = args.list("gateway");
    r.ip_ranges = args.list("ip-range");
    r.internal = args.flag("internal");
    r.ipv6 = args.flag("ipv6");
    r.ignore = args.flag("ignore");
    for (auto& l : args.list("label")) {
        auto [k, v] = str::split_once(l, '=');
        if (k.empty()) throw Error("invalid label \"" + l + "\": expected KEY=VALUE");
        r.labels[k] = v;
    }
    if (!args.list("opt").empty()) throw Error("--opt: network driver options are not implemented yet");
    std::cout << engine::create_network(e, r).name << "\n";
    return 0;
}

int ls_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto rows = engine::list_networks(e, args.list("filter"));
    if (args.flag("quiet")) {
        for (auto& r : rows) std::cout << r[args.flag("no-trunc") ? "Id" : "ID"].get<std::string>() << "\n";
        return 0;
    }
    print_list(args.str("format"), rows,
               {{"NETWORK ID", args.flag("no-trunc") ? "{{.Id}}" : "{{.ID}}"}, {"NAME", "{{.Name}}"},
                {"DRIVER", "{{.Driver}}"}},
               args.flag("noheading"));
    return 0;
}

int inspect_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    std::vector<Json> out;
    std::string missing;
    for (auto& name : args.positionals) {
        try {
            out.push_back(engine::inspect_network(e, engine::find_network(e, name)));
        } catch (const NotFound&) {
            missing = name;
        }
    }
    print_inspect(args.str("format"), out);
    if (!missing.empty()) throw NotFound("network " + missing + " not found");
    return 0;
}

int rm_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    // -f removes containers, whose files may belong to subordinate IDs.
    if (args.flag("force")) e.enter_storage_namespace();
    return remove_each(args.positionals, "is in use",
                       [&](const std::string& name) { engine::remove_network(e, name, args.flag("force")); });
}

int prune_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    if (!args.flag("force") &&
        !confirm("WARNING! This will remove all custom networks not used by at least one container.\n"
                 "Are you sure you want to continue?"))
        return 0;
    for (auto& n : engine::prune_networks(e, args.list("filter"))) std::cout << n << "\n";
    return 0;
}

int exists_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    try {
        engine::find_network(e, args.positionals[0]);
        return 0;
    } catch (const NotFound&) {
        return 1;
    }
}

int connect_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    engine::connect_container(e, args.positionals[0], args.positionals[1],
                              {args.str("ip"), args.str("mac-address"), args.list("alias"), args.str("ip6")});
    return 0;
}

int disconnect_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    engine::disconnect_container(e, args.positionals[0], args.positionals[1], args.flag("force"));
    return 0;
}

// The network daemon (net/netd.hpp), started by the first container that
// joins a user-defined network.
int netd_cmd(Context&, const cli::Args& args) {
    net::NetdOptions o;
    o.dir = args.positionals[0];
    o.helper = args.positionals[1] == "-" ? "" : args.positionals[1];
    o.rootless = !o.helper.empty();
    o.ready_fd = std::atoi(args.positionals[2].c_str());
    return net::run_netd(o);
}

}  // namespace

void register_networks(cli::Table& t) {
    t.add({.path = "__netd",
           .usage = "DIR HELPER READYFD",
           .summary = "Run the network daemon of user-defined networks",
           .handler = netd_cmd,
           .min_args = 3,
           .max_args = 3,
           .hidden = true});
    t.add_group({"network", "Manage networks"});
    t.add({.path = "network create",
           .usage = "[OPTIONS] [NETWORK]",
           .summary = "Create a network",
           .description = "A bridge network with an IPv4 subnet: --subnet, or the first free 10.89.N.0/24 "
                          "(Podman's range; then 172.16.0.0/12 in /24s), free of other networks, the host's routes "
                          "and the host's own addresses; the gateway is the subnet's first address unless --gateway. Containers "
                          "join with run --network NAME; they reach each other by name and alias through skiff's DNS "
                          "responder on the gateway. The bridge (br-ID), its nftables rules and the responder exist "
                          "while a container on the network runs: as root in the host's network namespace, rootless "
                          "in a per-user namespace joined to the host by pasta or slirp4netns. With --ipv6 (or an IPv6 --subnet) the "
                          "network is dual-stack: an IPv6 subnet beside the IPv4 one (--subnet, or a random ULA "
                          "fdXX:XXXX:XXXX:XXXX::/64 as Podman picks), containers get an address of each (--ip6 picks "
                          "one) and the responder answers AAAA queries too.",
           .flags = {{"driver", 'd', FlagType::String, "Driver to manage the network (bridge)", "string", "bridge",
                      Complete::Fixed, {"bridge"}},
                     {"gateway", 0, FlagType::List, "IPv4 or IPv6 gateway for the subnet of its family", "ip"},
                     {"ignore", 0, FlagType::Bool, "Don't fail if the network already exists"},
                     {"internal", 0, FlagType::Bool, "Restrict external access from this network"},
                     {"ip-range", 0, FlagType::List, "Allocate container IPs from a range (CIDR)", "range"},
                     {"ipv6", 0, FlagType::Bool, "Enable IPv6 networking (dual-stack: an IPv6 subnet beside the IPv4 one)"},
                     {"label", 0, FlagType::List, "Set metadata on a network (key=value)", "list"},
                     {"opt", 'o', FlagType::List, "Set driver specific options (not implemented yet)", "map"},
                     {"subnet", 0, FlagType::List, "Subnet in CIDR format (one IPv4 and one IPv6 at most)", "subnet"}},
           .handler = create_cmd,
           .max_args = 1,
           .examples = {"skiff network create appnet", "skiff network create --subnet 10.90.0.0/24 appnet",
                        "skiff network create --ipv6 --subnet 10.90.1.0/24 --subnet fd00:dead:beef::/64 dualnet"}});
    t.add({.path = "network ls",
           .aliases = {"network list"},
           .usage = "[OPTIONS]",
           .summary = "List networks",
           .description = "As root the list has the built-in network bridge, Docker's default network (a kernel "
                          "bridge on 172.17.0.0/16, or the next free 172.N or 10.88 /16 when the host routes that; "
                          "a container created on it moves it first when the host came to route its subnet and no "
                          "container is on it; made on the store's first use of networks; no container names in its DNS, as Docker's). "
                          "Rootless each container's default network is its own (pasta or slirp4netns). "
                          "Filters: name=SUBSTRING, id=PREFIX, driver=bridge, label=KEY[=VALUE].",
           .flags = {{"filter", 'f', FlagType::List, "Provide filter values (e.g. 'name=app')", "filter"},
                     {"format", 0, FlagType::String,
                      "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
                      "string"},
                     {"no-trunc", 0, FlagType::Bool, "Do not truncate the network ID"},
                     {"noheading", 'n', FlagType::Bool, "Do not print column headings"},
                     {"quiet", 'q', FlagType::Bool, "Only display network IDs"}},
           .handler = ls_cmd,
           .max_args = 0,
           .examples = {"skiff network ls", "skiff network ls --format '{{.Name}}'"}});
    t.add({.path = "network inspect",
           .usage = "[OPTIONS] NETWORK [NETWORK...]",
           .summary = "Display detailed information on one or more networks",
           .flags = {{"format", 'f', FlagType::String, "Format the output using the given Go template", "string"}},
           .handler = inspect_cmd,
           .min_args = 1,
           .arg_complete = Complete::Network,
           .examples = {"skiff network inspect appnet"}});
    t.add({.path = "network rm",
           .aliases = {"network remove"},
           .usage = "[OPTIONS] NETWORK [NETWORK...]",
           .summary = "Remove one or more networks",
           .description = "A network that a container uses is not removed without -f; the built-in bridge never "
                          "is. Exit status 1 when a network does not exist, 2 when one is in use.",
           .flags = {{"force", 'f', FlagType::Bool,
                      "Remove the containers that use the network too; no error for a missing network"}},
           .handler = rm_cmd,
           .min_args = 1,
           .arg_complete = Complete::Network,
           .examples = {"skiff network rm appnet"}});
    t.add({.path = "network prune",
           .usage = "[OPTIONS]",
           .summary = "Remove all unused networks",
           .description = "Removes the networks no container is attached to (never the built-in bridge). Filters: until=TIMESTAMP|DURATION "
                          "(created before), label=KEY[=VALUE], label!=KEY[=VALUE].",
           .flags = {{"filter", 0, FlagType::List, "Provide filter values (e.g. 'until=24h', 'label=env=dev')", "filter"},
                     {"force", 'f', FlagType::Bool, "Do not prompt for confirmation"}},
           .handler = prune_cmd,
           .max_args = 0,
           .examples = {"skiff network prune -f"}});
    t.add({.path = "network exists",
           .usage = "NETWORK",
           .summary = "Check if a network exists (exit 0 if it does, 1 if not)",
           .handler = exists_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Network});
    t.add({.path = "network connect",
           .usage = "[OPTIONS] NETWORK CONTAINER",
           .summary = "Connect a container to a network",
           .description = "A running container gets its new interface (eth1, eth2, ...) at once; a stopped one at "
                          "its next start. Only containers created on a user-defined network can join more.",
           .flags = {{"alias", 0, FlagType::List, "Add network-scoped alias for the container", "list"},
                     {"ip", 0, FlagType::String, "IPv4 address", "string"},
                     {"ip6", 0, FlagType::String, "IPv6 address (networks created with --ipv6)", "string"},
                     {"mac-address", 0, FlagType::String, "MAC address of the container on this network", "string"}},
           .handler = connect_cmd,
           .min_args = 2,
           .max_args = 2,
           .arg_complete = Complete::Network});
    t.add({.path = "network disconnect",
           .usage = "[OPTIONS] NETWORK CONTAINER",
           .summary = "Disconnect a container from a network",
           .description = "A running container loses the interface at once.",
           .flags = {{"force", 'f', FlagType::Bool, "Force the container to disconnect (accepted for Docker's sake: "
                                                    "local networks need no force)"}},
           .handler = disconnect_cmd,
           .min_args = 2,
           .max_args = 2,
           .arg_complete = Complete::Network});
}

}  // namespace skiff::commands
