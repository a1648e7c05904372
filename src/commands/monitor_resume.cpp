// __monitor-resume: the container's monitor again, after skiff-monitor saw
// the container exit (container/handoff.hpp). Not for users: the idle
// monitor execs it in its own process.
#include "commands/registry.hpp"
#include "container/monitor.hpp"
#include "monitor_idle/protocol.hpp"

namespace skiff::commands {

namespace {

int resume_cmd(Context&, const cli::Args& args) { return container::resume_monitor(args.positionals); }

}  // namespace

void register_monitor_resume(cli::Table& t) {
    t.add({.path = idle::kResumeCommand,
           .usage = "FILE WORDS...",
           .summary = "Finish a container's monitor after the idle monitor (internal)",
           .handler = resume_cmd,
           .min_args = 1,
           .raw_args = true,
           .hidden = true});
}

}  // namespace skiff::commands
