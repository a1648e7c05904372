// system df, system prune, system reset.
#include <iostream>

#include "cli/context.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "engine/engine.hpp"
#include "engine/storage.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::commands {

namespace {

using cli::FlagType;

int df_cmd(Context& ctx, const cli::Args& args) {
    bool verbose = args.flag("verbose");
    std::string format = args.str("format");
    if (verbose && !format.empty() && format != "json")
        throw Error("--format with --verbose: only json is supported");
    engine::Engine e(ctx);
    // Containers' files and volumes belong to subordinate IDs: measured
    // from inside the namespace.
    e.enter_storage_namespace();
    auto du = engine::disk_usage(e, verbose);
    if (!verbose) {
        print_list(format, du.summary,
                   {{"TYPE", "{{.Type}}"},
                    {"TOTAL", "{{.TotalCount}}"},
                    {"ACTIVE", "{{.Active}}"},
                    {"SIZE", "{{.Size}}"},
                    {"RECLAIMABLE", "{{.Reclaimable}}"}},
                   false);
        return 0;
    }
    if (format == "json") {
        print_template("json", {{"Images", du.images},
                                {"Containers", du.containers},
                                {"Volumes", du.volumes},
                                {"BuildCache", Json::array()}});
        return 0;
    }
    // Docker's layout: a titled table per kind.
    std::cout << "Images space usage:\n\n";
    print_list("", du.images,
               {{"REPOSITORY", "{{.Repository}}"},
                {"TAG", "{{.Tag}}"},
                {"IMAGE ID", "{{.ID}}"},
                {"CREATED", "{{.CreatedSince}}"},
                {"SIZE", "{{.Size}}"},
                {"SHARED SIZE", "{{.SharedSize}}"},
                {"UNIQUE SIZE", "{{.UniqueSize}}"},
                {"CONTAINERS", "{{.Containers}}"}},
               false);
    std::cout << "\nContainers space usage:\n\n";
    print_list("", du.containers,
               {{"CONTAINER ID", "{{.ID}}"},
                {"IMAGE", "{{.Image}}"},
                {"COMMAND", "{{.Command}}"},
                {"LOCAL VOLUMES", "{{.LocalVolumes}}"},
                {"SIZE", "{{.Size}}"},
                {"CREATED", "{{.RunningFor}}"},
                {"STATUS", "{{.Status}}"},
                {"NAMES", "{{.Names}}"}},
               false);
    std::cout << "\nLocal Volumes space usage:\n\n";
    print_list("", du.volumes, {{"VOLUME NAME", "{{.Name}}"}, {"LINKS", "{{.Links}}"}, {"SIZE", "{{.Size}}"}}, false);
    std::cout << "\nBuild cache usage: " << str::human_size(static_cast<double>(du.build_cache)) << "\n\n";
    print_list("", {},
               {{"CACHE ID", ""},
                {"CACHE TYPE", ""},
                {"SIZE", ""},
                {"CREATED", ""},
                {"LAST USED", ""},
                {"USAGE", ""},
                {"SHARED", ""}},
               false);
    return 0;
}

int prune_cmd(Context& ctx, const cli::Args& args) {
    engine::SystemPruneOptions o;
    o.all = args.flag("all");
    o.volumes = args.flag("volumes");
    o.filters = args.list("filter");
    engine::Engine e(ctx);
    // Into the namespace first: a re-executed command would ask again.
    e.enter_storage_namespace();
    std::string what = "WARNING! This will remove:\n  - all stopped containers\n"
                       "  - all networks not used by at least one container\n";
    if (o.volumes) what += "  - all anonymous volumes not used by at least one container\n";
    what += o.all ? "  - all images without at least one container associated to them\n" : "  - all dangling images\n";
    if (!args.flag("force") && !confirm(what + "\nAre you sure you want to continue?")) return 0;
    auto r = engine::prune_system(e, o);
    auto section = [](const char* title, const std::vector<std::string>& items, const char* prefix) {
        if (items.empty()) return;
        std::cout << title << ":\n";
        for (auto& i : items) std::cout << prefix << i << "\n";
        std::cout << "\n";
    };
    section("Deleted Containers", r.containers, "");
    section("Deleted Networks", r.networks, "");
    section("Deleted Volumes", r.volumes, "");
    section("Deleted Images", r.images, "deleted: ");
    std::cout << "Total reclaimed space: " << str::human_size(static_cast<double>(r.reclaimed)) << "\n";
    return 0;
}

int reset_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    // Entered first, so that the question is asked once, by the process
    // that does the work. The store's driver is not checked: a reset is
    // how one changes it.
    e.enter_storage_namespace(false);
    const auto& p = ctx.paths();
    if (!args.flag("force") &&
        !confirm("WARNING! This will remove:\n"
                 "        - all containers\n"
                 "        - all pods\n"
                 "        - all images\n"
                 "        - all networks\n"
                 "        - all build cache\n"
                 "        - all machines\n"
                 "        - all volumes\n"
                 "        - the graphRoot directory: \"" + p.root() + "\"\n"
                 "        - the runRoot directory: \"" + p.runroot() + "\"\n"
                 "Are you sure you want to continue?"))
        return 0;
    engine::reset_storage(e);
    return 0;
}

}  // namespace

void register_storage(cli::Table& t) {
    t.add({.path = "system df",
           .usage = "[OPTIONS]",
           .summary = "Show docker disk usage",
           .description = "Shows how much disk space images, containers, local volumes and the build cache use, "
                          "and how much removing what nothing uses would reclaim: images without containers, "
                          "stopped containers, volumes no container mounts. Image sizes are the unpacked layers, "
                          "shared layers counted once; containers count their writable layer.",
           .flags = {{"format", 0, FlagType::String, "Pretty-print images using a Go template (or json)", "string"},
                     {"verbose", 'v', FlagType::Bool, "Show detailed information on space usage"}},
           .handler = df_cmd,
           .max_args = 0,
           .examples = {"skiff system df", "skiff system df -v",
                        "skiff system df --format '{{.Type}}: {{.Reclaimable}}'"}});
    t.add({.path = "system prune",
           .usage = "[OPTIONS]",
           .summary = "Remove unused data",
           .description = "Removes stopped containers and dangling images; with --all every image no container "
                          "uses, with --volumes also the anonymous volumes no container uses (named volumes are "
                          "kept, as Docker 23+ does: remove them with volume prune -a). Filters: label=KEY[=VALUE] "
                          "and until=TIME (containers and images created before it). Asks first unless --force.",
           .flags = {{"all", 'a', FlagType::Bool, "Remove all unused images not just dangling ones"},
                     {"filter", 0, FlagType::List, "Provide filter values (e.g. 'label=<key>=<value>')", "filter"},
                     {"force", 'f', FlagType::Bool, "Do not prompt for confirmation"},
                     {"volumes", 0, FlagType::Bool, "Prune anonymous volumes"}},
           .handler = prune_cmd,
           .max_args = 0,
           .examples = {"skiff system prune -f", "skiff system prune -a --volumes -f",
                        "skiff system prune --filter until=24h -f"}});
    t.add({.path = "system reset",
           .usage = "[OPTIONS]",
           .summary = "Reset skiff storage",
           .description = "Removes every container (running ones are stopped), image, volume and network, and "
                          "everything else under the store's root and runroot directories, after unmounting "
                          "whatever is mounted below them. It is also how a store changes its storage driver: "
                          "a store keeps the one it was created with. Asks first unless --force.",
           .flags = {{"force", 'f', FlagType::Bool, "Do not prompt for confirmation"}},
           .handler = reset_cmd,
           .max_args = 0,
           .examples = {"skiff system reset", "skiff system reset --force"}});
}

}  // namespace skiff::commands
