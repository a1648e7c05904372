// volume create, ls, inspect, rm, prune, exists.
#include <iostream>

#include "cli/context.hpp"
#include "commands/for_each.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "engine/engine.hpp"
#include "engine/volumes.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::FlagType;

int create_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    engine::VolumeCreateRequest r;
    if (!args.positionals.empty()) r.name = args.positionals[0];
    // Docker's old spelling, still in tutorials.
    if (auto n = args.opt("name")) {
        if (!r.name.empty() && r.name != *n)
            throw Error("conflicting options: either specify --name or provide positional arg, not both");
        r.name = *n;
    }
    r.driver = args.str("driver", "local");
    r.labels = key_values(args.list("label"), "label");
    r.options = key_values(args.list("opt"), "option");
    r.ignore = args.flag("ignore");
    std::cout << engine::create_volume(e, r).name << "\n";
    return 0;
}

int ls_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto rows = engine::list_volumes(e, args.list("filter"));
    if (args.flag("quiet")) {
        for (auto& r : rows) std::cout << r["Name"].get<std::string>() << "\n";
        return 0;
    }
    print_list(args.str("format"), rows, {{"DRIVER", "{{.Driver}}"}, {"VOLUME NAME", "{{.Name}}"}},
               args.flag("noheading"));
    return 0;
}

int inspect_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    std::vector<Json> out;
    std::string missing;
    if (args.flag("all")) {
        if (!args.positionals.empty()) throw Error("when using the --all switch, you may not pass any volume names");
        for (auto& v : engine::all_volumes(e)) out.push_back(engine::inspect_volume(e, v));
    } else {
        if (args.positionals.empty()) throw Error("\"skiff volume inspect\" requires at least 1 argument");
        for (auto& name : args.positionals) {
            try {
                out.push_back(engine::inspect_volume(e, engine::find_volume(e, name)));
            } catch (const NotFound&) {
                missing = name;
            }
        }
    }
    print_inspect(args.str("format"), out);
    if (!missing.empty()) throw NotFound("no such volume: " + missing);
    return 0;
}

int rm_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    // Containers write volumes as subordinate IDs: removed in the namespace.
    e.enter_storage_namespace();
    return remove_each(args.positionals, "volume is in use",
                       [&](const std::string& name) { engine::remove_volume(e, name, args.flag("force")); });
}

int prune_cmd(Context& ctx, const cli::Args& args) {
    bool all = args.flag("all");
    engine::Engine e(ctx);
    // Into the namespace first: a re-executed command would ask again.
    e.enter_storage_namespace();
    if (!args.flag("force") &&
        !confirm(std::string("WARNING! This will remove ") + (all ? "all" : "anonymous") +
                 " local volumes not used by at least one container.\nAre you sure you want to continue?"))
        return 0;
    auto report = engine::prune_volumes(e, all, args.list("filter"));
    if (!report.deleted.empty()) {
        std::cout << "Deleted Volumes:\n";
        for (auto& d : report.deleted) std::cout << d << "\n";
        std::cout << "\n";
    }
    std::cout << "Total reclaimed space: " << str::human_size(static_cast<double>(report.reclaimed)) << "\n";
    return 0;
}

int exists_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    try {
        engine::find_volume(e, args.positionals[0]);
        return 0;
    } catch (const NotFound&) {
        return 1;
    }
}

}  // namespace

void register_volumes(cli::Table& t) {
    t.add_group({"volume", "Manage volumes"});
    t.add({.path = "volume create",
           .usage = "[OPTIONS] [VOLUME]",
           .summary = "Create a volume",
           .description = "Creates a named volume (a generated 64-hex name when none is given) in the store, "
                          "under volumes/NAME/_data. The local driver's options are Docker's, one KEY=VALUE per --opt: "
                          "with -o type=tmpfs -o device=tmpfs -o o=size=64m a filesystem, with -o type=none "
                          "-o o=bind -o device=/path a host directory is mounted there whenever a container starts "
                          "(in the container's own mount namespace). A rootless "
                          "user can mount tmpfs and bind volumes only. Creating a volume that exists is fine "
                          "when nothing differs (Docker); --ignore also accepts different labels or options.",
           .flags = {{"driver", 'd', FlagType::String, "Volume driver name (only local)", "string", "local",
                      Complete::Fixed, {"local"}},
                     {"ignore", 0, FlagType::Bool, "Don't fail if a volume with that name already exists"},
                     {"label", 'l', FlagType::List, "Set metadata for a volume (key=value)", "list"},
                     {"name", 0, FlagType::String, "Specify volume name", "string", "", Complete::None, {}, true},
                     {"opt", 'o', FlagType::List, "Set driver specific options (type, device, o)", "map"}},
           .handler = create_cmd,
           .max_args = 1,
           .examples = {"skiff volume create data", "skiff volume create --label env=dev data",
                        "skiff volume create -o type=tmpfs -o device=tmpfs -o o=size=64m scratch"}});
    t.add({.path = "volume ls",
           .aliases = {"volume list"},
           .usage = "[OPTIONS]",
           .summary = "List volumes",
           .description = "Filters: name=SUBSTRING, label=KEY[=VALUE], label!=KEY[=VALUE], dangling=true|false "
                          "(used by no container), driver=local. Values of one filter are alternatives; "
                          "different filters must all match.",
           .flags = {{"filter", 'f', FlagType::List, "Provide filter values (e.g. 'dangling=true')", "filter"},
                     {"format", 0, FlagType::String,
                      "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
                      "string"},
                     {"noheading", 'n', FlagType::Bool, "Do not print column headings"},
                     {"quiet", 'q', FlagType::Bool, "Only display volume names"}},
           .handler = ls_cmd,
           .max_args = 0,
           .examples = {"skiff volume ls", "skiff volume ls -f dangling=true -q",
                        "skiff volume ls --format '{{.Name}} {{.Mountpoint}}'"}});
    t.add({.path = "volume inspect",
           .usage = "[OPTIONS] VOLUME [VOLUME...]",
           .summary = "Display detailed information on one or more volumes",
           .flags = {{"all", 'a', FlagType::Bool, "Inspect all volumes"},
                     {"format", 'f', FlagType::String, "Format the output using the given Go template", "string"}},
           .handler = inspect_cmd,
           .arg_complete = Complete::Volume,
           .examples = {"skiff volume inspect data", "skiff volume inspect --format '{{.Mountpoint}}' data"}});
    t.add({.path = "volume rm",
           .aliases = {"volume remove"},
           .usage = "[OPTIONS] VOLUME [VOLUME...]",
           .summary = "Remove one or more volumes",
           .description = "A volume that a container mounts (running or not) is not removed: remove the "
                          "container first. Exit status 1 when a volume does not exist, 2 when one is in use.",
           .flags = {{"force", 'f', FlagType::Bool, "Do not fail for volumes that do not exist"}},
           .handler = rm_cmd,
           .min_args = 1,
           .arg_complete = Complete::Volume,
           .examples = {"skiff volume rm data"}});
    t.add({.path = "volume prune",
           .usage = "[OPTIONS]",
           .summary = "Remove unused local volumes",
           .description = "Removes the anonymous volumes that no container uses; with --all every unused "
                          "volume (Docker 23+). Filters: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME.",
           .flags = {{"all", 'a', FlagType::Bool, "Remove all unused volumes, not just anonymous ones"},
                     {"filter", 0, FlagType::List, "Provide filter values (e.g. 'label=<label>')", "filter"},
                     {"force", 'f', FlagType::Bool, "Do not prompt for confirmation"}},
           .handler = prune_cmd,
           .max_args = 0,
           .examples = {"skiff volume prune -f", "skiff volume prune -a --filter label=env=dev"}});
    t.add({.path = "volume exists",
           .usage = "VOLUME",
           .summary = "Check if a volume exists (exit 0 if it does, 1 if not)",
           .handler = exists_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Volume});
}

}  // namespace skiff::commands
