// argv → command table → exit code. Every skiff::Error ends here.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/context.hpp"
#include "cli/help.hpp"
#include "commands/registry.hpp"
#include "oci/cli.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace {

using skiff::Error;
namespace cli = skiff::cli;

bool takes_value(const std::string& name) {
    for (auto& f : cli::global_flags())
        if (f.name == name) return f.type != cli::FlagType::Bool;
    return false;
}

void set_global(skiff::GlobalOptions& g, const std::string& name, const std::string& value) {
    if (name == "root") g.root = value;
    else if (name == "runroot") g.runroot = value;
    else if (name == "storage-driver") g.storage_driver = value;
    else if (name == "runtime") g.runtime = value;
    else if (name == "log-level") g.log_level = value;
    else if (name == "config") g.config = value;
}

void validate_globals(const skiff::GlobalOptions& g) {
    static const char* levels[] = {"trace", "debug", "info", "warn", "warning", "error", "fatal", "panic"};
    bool ok = false;
    for (auto* l : levels) ok |= g.log_level == l;
    if (!ok) throw Error("invalid --log-level \"" + g.log_level + "\": expected trace, debug, info, warn, error, fatal or panic");
    if (!g.storage_driver.empty() && g.storage_driver != "overlay" && g.storage_driver != "fuse-overlayfs" &&
        g.storage_driver != "vfs")
        throw Error("invalid --storage-driver \"" + g.storage_driver + "\": expected overlay, fuse-overlayfs or vfs");
}

// True when -h/--help appears where a flag may stand.
bool wants_help(const cli::Command& cmd, const std::vector<std::string>& words) {
    if (cmd.raw_args) return false;
    for (auto& w : words) {
        if (w == "--") return false;
        if (w == "--help") return true;
        // run/create's -h is --hostname, as Docker's.
        if (w == "-h" && std::none_of(cmd.flags.begin(), cmd.flags.end(), [](auto& f) { return f.shorthand == 'h'; }))
            return true;
        if (cmd.flags_before_args_only && !w.empty() && w[0] != '-') return false;
    }
    return false;
}

// Docker's and Podman's commands that skiff has not built yet, as typed
// ("image build" too): a user who types one learns that, not that it is a typo.
const char* planned_command(const std::string& command) {
    static const std::pair<const char*, const char*> planned[] = {
        {"build", "Dockerfile builds"},   {"image build", "Dockerfile builds"}, {"buildx", "Dockerfile builds"},
        {"builder", "Dockerfile builds"}, {"compose", "compose"},               {"pod", "pods"},
        {"generate", "generate kube and systemd"}, {"play", "play kube"},      {"kube", "play kube"},
        {"system service", "the API socket"}};
    for (auto& [n, what] : planned)
        if (command == n) return what;
    return nullptr;
}

void refuse_planned(const std::string& command) {
    if (const char* what = planned_command(command))
        throw Error("\"skiff " + command + "\" is not implemented yet (planned: " + std::string(what) +
                    "). See 'skiff --help' for the commands there are");
}

int run(int argc, char** argv) {
    static const cli::Table table = skiff::commands::build_table();
    std::vector<std::string> words(argv + 1, argv + argc);
    skiff::GlobalOptions globals;

    // Global flags before the command name.
    size_t i = 0;
    while (i < words.size() && words[i].size() > 1 && words[i][0] == '-') {
        std::string w = words[i];
        if (w == "--help" || w == "-h") {
            std::cout << cli::main_help(table);
            return 0;
        }
        if (w == "--version" || w == "-v") {
            std::cout << "skiff version " << SKIFF_VERSION << "\n";
            return 0;
        }
        std::string body = w.rfind("--", 0) == 0 ? w.substr(2) : "";
        auto eq = body.find('=');
        std::string name = body.substr(0, eq);
        if (!takes_value(name)) {
            std::vector<std::string> names;
            for (auto& f : cli::global_flags()) names.push_back(f.name);
            std::string s = cli::suggest(name, names);
            throw Error("unknown flag: " + w + (s.empty() ? "" : " (did you mean --" + s + "?)") + ". See 'skiff --help'");
        }
        if (eq != std::string::npos) {
            set_global(globals, name, body.substr(eq + 1));
        } else {
            if (i + 1 >= words.size()) throw Error("flag needs an argument: " + w + ". See 'skiff --help'");
            set_global(globals, name, words[++i]);
        }
        ++i;
    }
    words.erase(words.begin(), words.begin() + static_cast<long>(i));
    if (words.empty()) {
        std::cout << cli::main_help(table);
        return 0;
    }
    size_t consumed = 0;
    const cli::Command* cmd = table.resolve(words, consumed);
    if (!cmd) {
        if (table.group(words[0])) {
            if (words.size() == 1 || words[1] == "--help" || words[1] == "-h") {
                std::cout << cli::group_help(table, words[0]);
                return 0;
            }
            refuse_planned(words[0] + " " + words[1]);
            std::vector<std::string> kids;
            for (auto& [name, c] : table.children(words[0])) kids.push_back(name);
            std::string s = cli::suggest(words[1], kids);
            throw Error("unknown command \"" + words[1] + "\" for \"skiff " + words[0] + "\"" +
                        (s.empty() ? "" : " (did you mean \"" + s + "\"?)") + ". See 'skiff " + words[0] + " --help'");
        }
        refuse_planned(words[0]);
        std::string s = cli::suggest(words[0], table.top_level_names());
        throw Error("unknown command \"" + words[0] + "\" for \"skiff\"" +
                    (s.empty() ? "" : " (did you mean \"" + s + "\"?)") + ". See 'skiff --help'");
    }
    std::vector<std::string> rest(words.begin() + static_cast<long>(consumed), words.end());
    if (wants_help(*cmd, rest)) {
        std::cout << cli::command_help(table, *cmd);
        return 0;
    }
    cli::Args args = cli::parse(*cmd, rest);
    for (auto& f : cli::global_flags())
        if (auto v = args.opt(f.name)) set_global(globals, f.name, *v);
    validate_globals(globals);
    skiff::log::set_level(globals.log_level);
    skiff::set_command_name(cmd->path);
    skiff::log::debug("command: skiff " + cmd->path);
    skiff::Context ctx(table, globals, std::vector<std::string>(argv, argv + argc));
    return cmd->handler(ctx, args);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc > 0 && skiff::fs::basename(argv[0]) == "skiff-runtime")
            return skiff::oci::cli_main(std::vector<std::string>(argv + 1, argv + argc));
        return run(argc, argv);
    } catch (const Error& e) {
        std::cout.flush();
        std::fprintf(stderr, "Error: %s\n", e.what());
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cout.flush();
        std::fprintf(stderr, "Error: %s\n", skiff::internal_error_message(e.what()).c_str());
        return skiff::kExitEngine;
    } catch (...) {
        std::cout.flush();
        std::fprintf(stderr, "Error: %s\n", skiff::internal_error_message("unknown exception").c_str());
        return skiff::kExitEngine;
    }
}
