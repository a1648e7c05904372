// `skiff unshare [COMMAND]`: a shell (or command) in the rootless user
// namespace, where image files show their in-container owners.
#include <cstdlib>

#include "cli/context.hpp"
#include "commands/registry.hpp"
#include "layers/userns.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;

int unshare_cmd(Context& ctx, const cli::Args& args) {
    ::setenv("SKIFF_ROOT", ctx.paths().root().c_str(), 1);
    ::setenv("SKIFF_RUNROOT", ctx.paths().runroot().c_str(), 1);
    // Forks straight into the namespace and execs the command there (or
    // $SHELL); as real root it simply runs it.
    return layers::unshare_exec(args.positionals);
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
