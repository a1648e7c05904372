// version, info, help, completion, and the hidden helpers that generate docs
// and feed shell completion.
#include <unistd.h>

#include <iostream>

#include "cli/context.hpp"
#include "cli/docs.hpp"
#include "cli/help.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "engine/facts.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::Flag;
using cli::FlagType;

Flag format_flag(const std::string& help = "Format the output using the given Go template") {
    return {"format", 'f', FlagType::String, help, "string", "", Complete::None};
}

int version_cmd(Context& ctx, const cli::Args& args) {
    Json v = engine::version_facts(ctx);
    if (auto f = args.opt("format")) {
        print_template(*f, v);
        return 0;
    }
    auto& c = v["Client"];
    auto& s = v["Server"];
    std::cout << "Client:       skiff\n"
              << " Version:     " << c["Version"].get<std::string>() << "\n"
              << " API version: " << c["ApiVersion"].get<std::string>() << "\n"
              << " Built:       " << c["BuildTime"].get<std::string>() << "\n"
              << " Compiler:    " << c["Compiler"].get<std::string>() << "\n"
              << " OS/Arch:     " << c["Os"].get<std::string>() << "/" << c["Arch"].get<std::string>() << "\n"
              << "\nServer:       skiff engine (daemonless)\n"
              << " Version:     " << s["Version"].get<std::string>() << "\n"
              << " API version: " << s["ApiVersion"].get<std::string>() << " (minimum version "
              << s["MinAPIVersion"].get<std::string>() << ")\n"
              << " OS/Arch:     " << s["Os"].get<std::string>() << "/" << s["Arch"].get<std::string>() << "\n"
              << " Kernel:      " << s["KernelVersion"].get<std::string>() << "\n"
              << " Rootless:    " << (s["Rootless"].get<bool>() ? "true" : "false") << "\n";
    return 0;
}

int info_cmd(Context& ctx, const cli::Args& args) {
    Json info = engine::info_facts(ctx);
    if (auto f = args.opt("format")) {
        print_template(*f, info);
        return 0;
    }
    std::cout << engine::info_text(info);
    return 0;
}

int help_cmd(Context& ctx, const cli::Args& args) {
    const auto& table = ctx.table();
    if (args.positionals.empty()) {
        std::cout << cli::main_help(table);
        return 0;
    }
    size_t used = 0;
    if (auto* c = table.resolve(args.positionals, used); c && used == args.positionals.size()) {
        std::cout << cli::command_help(table, *c);
        return 0;
    }
    if (args.positionals.size() == 1 && table.group(args.positionals[0])) {
        std::cout << cli::group_help(table, args.positionals[0]);
        return 0;
    }
    std::string s = cli::suggest(args.positionals[0], table.top_level_names());
    throw Error("unknown help topic \"" + args.positionals[0] + "\"" + (s.empty() ? "" : " (did you mean \"" + s + "\"?)"));
}

int completion_cmd(Context& ctx, const cli::Args& args) {
    std::cout << cli::completion_script(ctx.table(), args.positionals[0]);
    return 0;
}

// Writes man/skiff*.1 and completions/* for the build; a test checks that
// the committed copies equal this output.
int docs_cmd(Context& ctx, const cli::Args& args) {
    const std::string& man_dir = args.positionals[0];
    const std::string& comp_dir = args.positionals[1];
    const auto& table = ctx.table();
    fs::make_dirs(man_dir);
    fs::make_dirs(comp_dir);
    fs::write_atomic(fs::join(man_dir, "skiff.1"), cli::man_page_main(table, SKIFF_VERSION));
    for (auto& c : table.commands())
        if (!c.hidden) fs::write_atomic(fs::join(man_dir, cli::man_file_name(c.path)), cli::man_page(table, c, SKIFF_VERSION));
    fs::write_atomic(fs::join(comp_dir, "skiff.bash"), cli::completion_script(table, "bash"));
    fs::write_atomic(fs::join(comp_dir, "_skiff"), cli::completion_script(table, "zsh"));
    fs::write_atomic(fs::join(comp_dir, "skiff.fish"), cli::completion_script(table, "fish"));
    return 0;
}

int complete_cmd(Context& ctx, const cli::Args& args) {
    for (auto& name : engine::completion_names(ctx, args.positionals[0])) std::cout << name << "\n";
    return 0;
}

}  // namespace

void register_system(cli::Table& t) {
    t.add({.path = "version",
           .aliases = {"system version"},
           .usage = "[OPTIONS]",
           .summary = "Show the skiff version information",
           .flags = {format_flag()},
           .handler = version_cmd,
           .max_args = 0,
           .examples = {"skiff version", "skiff version --format '{{.Client.Version}}'"}});
    t.add({.path = "info",
           .aliases = {"system info"},
           .usage = "[OPTIONS]",
           .summary = "Display system-wide information",
           .description = "Shows the host (kernel, rootless or not, subordinate ID ranges, cgroups and whether "
                          "resource limits are usable), the storage driver and directories, the runtime, the "
                          "network helpers found and the CDI spec directories.",
           .flags = {format_flag()},
           .handler = info_cmd,
           .max_args = 0,
           .examples = {"skiff info", "skiff info --format '{{.Host.Security.Rootless}}'",
                        "skiff info --format json"}});
    t.add({.path = "help",
           .usage = "[COMMAND]",
           .summary = "Help about any command",
           .handler = help_cmd,
           .arg_complete = Complete::Command});
    t.add({.path = "completion",
           .usage = "bash|zsh|fish",
           .summary = "Generate the autocompletion script for the specified shell",
           .description = "Prints a completion script generated from skiff's command table. For bash: "
                          "skiff completion bash > /etc/bash_completion.d/skiff (or source it from ~/.bashrc).",
           .handler = completion_cmd,
           .min_args = 1,
           .max_args = 1,
           .examples = {"source <(skiff completion bash)", "skiff completion fish > ~/.config/fish/completions/skiff.fish"}});
    t.add({.path = "__docs",
           .usage = "MANDIR COMPLETIONSDIR",
           .summary = "Generate man pages and completions",
           .handler = docs_cmd,
           .min_args = 2,
           .max_args = 2,
           .hidden = true});
    t.add({.path = "__complete",
           .usage = "containers|images|volumes|networks",
           .summary = "List names for shell completion",
           .handler = complete_cmd,
           .min_args = 1,
           .max_args = 1,
           .hidden = true});
}

}  // namespace skiff::commands
