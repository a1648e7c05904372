// cp: files between the host and a container.
#include <unistd.h>

#include "cli/context.hpp"
#include "commands/registry.hpp"
#include "engine/cp.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::FlagType;

int cp_cmd(Context& ctx, const cli::Args& args) {
    engine::CopyRequest r;
    r.src = args.positionals[0];
    r.dest = args.positionals[1];
    r.archive = args.flag("archive");
    r.follow_link = args.flag("follow-link");
    if (r.dest == "-" && ::isatty(1)) throw Error("cowardly refusing to write a tar archive to a terminal");
    if (r.src == "-" && ::isatty(0)) throw Error("cowardly refusing to read a tar archive from a terminal");
    engine::Engine e(ctx);
    engine::copy(e, r);
    return 0;
}

}  // namespace

void register_cp(cli::Table& t) {
    t.add({.path = "cp",
           .aliases = {"container cp"},
           .usage = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  skiff cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
           .summary = "Copy files/folders between a container and the local filesystem",
           .description =
               "Copies like `cp -a`: a directory is copied with everything in it; SRC/. copies a "
               "directory's contents. Paths inside the container are resolved inside its root, so "
               "no symlink in the container can lead the copy to a host file. Files copied into a "
               "container belong to its root user, files copied out to the caller, unless -a keeps "
               "the original owners. `-` reads or writes a tar stream. Works on running containers "
               "(including their volumes and tmpfs mounts) and on stopped ones.",
           .flags = {{"archive", 'a', FlagType::Bool, "Archive mode (copy all uid/gid information)"},
                     {"follow-link", 'L', FlagType::Bool, "Always follow symbol link in SRC_PATH"}},
           .handler = cp_cmd,
           .min_args = 2,
           .max_args = 2,
           .arg_complete = Complete::Container,
           .examples = {"skiff cp web:/etc/nginx/nginx.conf .", "skiff cp ./site/. web:/usr/share/nginx/html",
                        "skiff cp web:/var/log - | tar -tv"}});
}

}  // namespace skiff::commands
