// pause, unpause, stats.
#include <unistd.h>

#include <iostream>
#include <map>
#include <thread>

#include "cli/context.hpp"
#include "commands/output.hpp"
#include "commands/for_each.hpp"
#include "commands/registry.hpp"
#include "engine/containers.hpp"
#include "engine/engine.hpp"
#include "engine/pause.hpp"
#include "engine/stats.hpp"
#include "util/error.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::Flag;
using cli::FlagType;

template <typename Fn>
int each_container(Context& ctx, const cli::Args& args, Fn fn) {
    engine::Engine e(ctx);
    return for_each_ref(e, args, false, [&](const container::Container& c, const std::string& ref) {
        fn(e, c);
        std::cout << ref << "\n";
    });
}

int pause_cmd(Context& ctx, const cli::Args& args) {
    return each_container(ctx, args, [](engine::Engine& e, const container::Container& c) { engine::pause_container(e, c); });
}

int unpause_cmd(Context& ctx, const cli::Args& args) {
    return each_container(ctx, args,
                          [](engine::Engine& e, const container::Container& c) { engine::unpause_container(e, c); });
}

int stats_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    bool stream = !args.flag("no-stream");
    bool no_trunc = args.flag("no-trunc");
    std::map<std::string, container::StatsSample> prev;
    const std::vector<Column> cols = {{"CONTAINER ID", "{{.ID}}"},          {"NAME", "{{.Name}}"},
                                      {"CPU %", "{{.CPUPerc}}"},            {"MEM USAGE / LIMIT", "{{.MemUsage}}"},
                                      {"MEM %", "{{.MemPerc}}"},            {"NET I/O", "{{.NetIO}}"},
                                      {"BLOCK I/O", "{{.BlockIO}}"},        {"PIDS", "{{.PIDs}}"}};
    // Named containers must exist (a stopped one shows "--" as Docker does).
    for (auto& ref : args.positionals) engine::find_container(e, ref);
    bool tty = ::isatty(1);
    for (bool first = true;; first = false) {
        std::vector<std::pair<std::string, container::Container>> targets;
        if (!args.positionals.empty()) {
            for (auto& ref : args.positionals) targets.emplace_back(ref, engine::find_container(e, ref));
        } else {
            for (auto& c : engine::list_containers(e))
                if (args.flag("all") || c.running()) targets.emplace_back("", c);
        }
        std::vector<Json> rows;
        for (auto& [given, c] : targets) {
            auto cur = engine::sample_stats(e, c);
            container::StatsSample before;
            auto it = prev.find(c.id);
            // The first reading of a container: its average since it started.
            if (it != prev.end() && it->second.running) before = it->second;
            else before.at_ns = c.started_at;
            rows.push_back(container::stats_row(given, c.id, c.name, before, cur, no_trunc));
            prev[c.id] = cur;
        }
        if (stream && tty) std::cout << "\033[2J\033[H";
        print_list(args.str("format"), rows, cols, false);
        std::cout.flush();
        if (!stream) return 0;
        (void)first;
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

}  // namespace

void register_container_ops(cli::Table& t) {
    t.add({.path = "pause",
           .aliases = {"container pause"},
           .usage = "CONTAINER [CONTAINER...]",
           .summary = "Pause all processes within one or more containers",
           .description = "Freezes the container's processes in its cgroup: the v1 freezer controller or cgroup v2's "
                          "cgroup.freeze. Rootless containers have a cgroup only where cgroup v2 is delegated to the "
                          "user; on a cgroup v1 host, pausing a rootless container is an error (as in Podman). "
                          "stop, kill and rm -f thaw a paused container first.",
           .handler = pause_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "unpause",
           .aliases = {"container unpause"},
           .usage = "CONTAINER [CONTAINER...]",
           .summary = "Unpause all processes within one or more containers",
           .handler = unpause_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "stats",
           .aliases = {"container stats"},
           .usage = "[OPTIONS] [CONTAINER...]",
           .summary = "Display a live stream of container(s) resource usage statistics",
           .description = "Shows CPU, memory, network, block I/O and process counts of running containers (all "
                          "with -a, or those named), redrawn every second until interrupted (--no-stream: once). "
                          "The numbers come from the container's cgroups where it has them (root: the v1 cpuacct, "
                          "memory, blkio and pids controllers, or cgroup v2); rootless containers on a cgroup v1 host "
                          "have none, so they are summed from /proc over the processes in the container's PID "
                          "namespace (utime+stime for CPU, VmRSS for memory, /proc/PID/io for block I/O). Network "
                          "I/O is read from the container's /proc/PID/net/dev, all interfaces but lo. CPU % is the "
                          "change since the previous reading; the first reading (and --no-stream) is the average "
                          "since the container started.",
           .flags = {{"all", 'a', FlagType::Bool, "Show all containers (default shows just running)"},
                     {"format", 0, FlagType::String, "Pretty-print container statistics using a Go template", "string"},
                     {"no-stream", 0, FlagType::Bool, "Disable streaming stats and only pull the first result"},
                     {"no-trunc", 0, FlagType::Bool, "Do not truncate output"}},
           .handler = stats_cmd,
           .arg_complete = Complete::Container,
           .examples = {"skiff stats --no-stream", "skiff stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}'"}});
}

}  // namespace skiff::commands
