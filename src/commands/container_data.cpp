// diff, export, commit (and their `container …` forms).
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include "cli/context.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "engine/container_data.hpp"
#include "engine/containers.hpp"
#include "engine/engine.hpp"
#include "engine/pause.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::FlagType;

int diff_cmd(Context& ctx, const cli::Args& args) {
    std::string format = args.str("format");
    if (!format.empty() && format != "json")
        throw Error("invalid --format \"" + format + "\": diff prints Docker's lines, or json");
    engine::Engine e(ctx);
    // The upper dir holds files of subordinate IDs.
    e.enter_storage_namespace();
    auto c = engine::find_container(e, args.positionals[0]);
    auto changes = engine::container_changes(e, c);
    if (format == "json") {
        Json changed = Json::array(), added = Json::array(), deleted = Json::array();
        for (auto& ch : changes)
            (ch.kind == layers::ChangeKind::Added ? added : ch.kind == layers::ChangeKind::Deleted ? deleted : changed)
                .push_back(ch.path);
        // Podman's keys; empty ones are left out as Podman does.
        Json out = Json::object();
        if (!changed.empty()) out["changed"] = changed;
        if (!added.empty()) out["added"] = added;
        if (!deleted.empty()) out["deleted"] = deleted;
        print_template("json", out);
        return 0;
    }
    std::string text;
    for (auto& ch : changes) {
        text += layers::change_letter(ch.kind);
        text += ' ';
        text += ch.path;
        text += '\n';
    }
    std::cout << text;
    return 0;
}

int export_cmd(Context& ctx, const cli::Args& args) {
    std::string out = args.str("output");
    if (out.empty() && ::isatty(1)) throw Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    engine::Engine e(ctx);
    // Not in the storage namespace: a running container's own is joined.
    auto c = engine::find_container(e, args.positionals[0]);
    if (out.empty()) return engine::export_container(e, c, 1);
    // Written next to the target and renamed: no half archive under the name.
    std::string tmp = out + ".skiff-tmp";
    UniqueFd fd = fs::open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc;
    try {
        rc = engine::export_container(e, c, fd.get());
        if (rc == 0 && ::fsync(fd.get()) < 0) throw_errno("fsync " + tmp);
        if (rc == 0 && ::rename(tmp.c_str(), out.c_str()) < 0) throw_errno("rename " + tmp);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    if (rc != 0) ::unlink(tmp.c_str());
    return rc;
}

int commit_cmd(Context& ctx, const cli::Args& args) {
    engine::CommitOptions o;
    std::string format = args.str("format", "oci");
    if (format != "oci" && format != "docker")
        throw Error("invalid --format \"" + format + "\": expected oci or docker");
    o.docker_format = format == "docker";
    if (args.positionals.size() > 1) o.names.push_back(image::parse_reference(args.positionals[1]).full());
    o.author = args.str("author");
    o.message = args.str("message");
    o.changes = args.list("change");
    o.squash = args.flag("squash");
    engine::Engine e(ctx);
    // Squash reads the merged rootfs through the container's namespaces
    // (with_container_rootfs); a plain commit reads the driver's files.
    if (!o.squash) e.enter_storage_namespace();
    auto c = engine::find_container(e, args.positionals[0]);
    // Docker pauses by default. Only a container we paused is unpaused.
    bool want_pause = args.str("pause", "true") != "false";
    bool paused = false;
    if (want_pause && c.state == "running") {
        try {
            engine::pause_container(e, c);
            paused = true;
        } catch (const Error& err) {
            // Without a freezer (rootless cgroup v1, no delegation) the
            // container keeps running: said when -p was asked for, not
            // when it is merely the default.
            if (args.has("pause"))
                std::cerr << "WARNING: cannot pause " << c.name << " (" << err.what()
                          << "): committing it while it runs, so files it writes meanwhile may be caught half-written\n";
        }
    }
    std::string id;
    try {
        id = engine::commit_container(e, c, o);
    } catch (...) {
        if (paused) engine::unpause_container(e, engine::find_container(e, c.id));
        throw;
    }
    if (paused) engine::unpause_container(e, engine::find_container(e, c.id));
    std::cout << (args.flag("quiet") ? id : "sha256:" + id) << "\n";
    return 0;
}

}  // namespace

void register_container_data(cli::Table& t) {
    t.add({.path = "diff",
           .aliases = {"container diff"},
           .usage = "[OPTIONS] CONTAINER",
           .summary = "Inspect changes to files or directories on a container's filesystem",
           .description = "Lists what changed in the container's filesystem since it was created from its image: "
                          "A for added, C for changed (a changed file's directories are changed too), D for deleted.",
           .flags = {{"format", 0, FlagType::String, "Change the output format (json)", "string", "", Complete::Fixed,
                      {"json"}}},
           .handler = diff_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Container,
           .examples = {"skiff diff web", "skiff diff --format json web"}});
    t.add({.path = "export",
           .aliases = {"container export"},
           .usage = "[OPTIONS] CONTAINER",
           .summary = "Export a container's filesystem as a tar archive",
           .description = "Writes the container's whole filesystem (its image with its changes, without volumes) as a "
                          "flat tar, owners as the container sees them; `skiff import` makes an image of it again.",
           .flags = {{"output", 'o', FlagType::String, "Write to a file, instead of STDOUT", "string", "", Complete::File}},
           .handler = export_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Container,
           .examples = {"skiff export -o web.tar web", "skiff export web | skiff import - localhost/web-flat"}});
    t.add({.path = "commit",
           .aliases = {"container commit"},
           .usage = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
           .summary = "Create a new image from a container's changes",
           .description = "Stores the container's changes as a new layer over its image, with the configuration the "
                          "container runs with (plus --change). A running container is paused for the commit where "
                          "the cgroup freezer is available; elsewhere it keeps running (with an explicit --pause a "
                          "warning says so).",
           .flags = {{"author", 'a', FlagType::String, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")",
                      "string"},
                     {"change", 'c', FlagType::List, "Apply Dockerfile instruction to the created image", "list"},
                     {"format", 'f', FlagType::String, "Format of the image manifest and metadata (oci or docker)",
                      "string", "oci", Complete::Fixed, {"oci", "docker"}},
                     {"message", 'm', FlagType::String, "Commit message", "string"},
                     {"pause", 'p', FlagType::Bool, "Pause container during commit", "", "true"},
                     {"quiet", 'q', FlagType::Bool, "Suppress output (print only the image ID)"},
                     {"squash", 's', FlagType::Bool, "Squash the image and its changes into a single layer"}},
           .handler = commit_cmd,
           .min_args = 1,
           .max_args = 2,
           .arg_complete = Complete::Container,
           .examples = {"skiff commit web localhost/web:v2",
                        "skiff commit -c 'CMD [\"httpd\", \"-f\"]' -m 'add site' web localhost/web:v2"}});
}

}  // namespace skiff::commands
