// `skiff unshare [COMMAND]`: a shell (or command) in the rootless user
// namespace, where image files show their in-container owners.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "cli/context.hpp"
#include "commands/registry.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

extern char** environ;

namespace skiff::commands {

namespace {

using cli::Complete;

int unshare_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    e.enter_storage_namespace();  // returns at once as real root
    std::vector<std::string> cmd = args.positionals;
    if (cmd.empty()) {
        const char* shell = std::getenv("SHELL");
        cmd.push_back(shell && *shell ? shell : "/bin/sh");
    }
    ::setenv("SKIFF_ROOT", ctx.paths().root().c_str(), 1);
    ::setenv("SKIFF_RUNROOT", ctx.paths().runroot().c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    int err = errno;
    throw Error("exec " + cmd[0] + ": " + std::strerror(err), err == ENOENT ? kExitNotFound : kExitCannotInvoke);
}

}  // namespace

void register_unshare(cli::Table& t) {
    t.add({.path = "unshare",
           .usage = "[COMMAND [ARG...]]",
           .summary = "Run a command in a modified user namespace",
           .description = "Runs COMMAND (default: $SHELL) in the user namespace skiff uses for rootless storage: you "
                          "are root there, and your subordinate IDs are mapped, so image and container files show "
                          "their in-container owners. SKIFF_ROOT and SKIFF_RUNROOT name the store. As root it runs "
                          "the command unchanged.",
           .handler = unshare_cmd,
           .flags_before_args_only = true,
           .arg_complete = Complete::Command,
           .examples = {"skiff unshare cat /proc/self/uid_map", "skiff unshare rm -rf ~/.local/share/skiff"}});
}

}  // namespace skiff::commands
