// images, image inspect, tag, rmi, image prune, history, import, save, load,
// image exists.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <set>

#include "cli/context.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "engine/engine.hpp"
#include "engine/images.hpp"
#include "image/archive.hpp"
#include "image/reference.hpp"
#include "registry/http.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::Flag;
using cli::FlagType;

Flag format_flag(const std::string& help) { return {"format", 0, FlagType::String, help, "string"}; }
Flag filter_flag() {
    return {"filter", 'f', FlagType::List, "Filter output based on conditions provided", "filter"};
}

int images_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    engine::ImageListOptions o{args.flag("all"), args.flag("digests"), args.flag("no-trunc"), args.list("filter")};
    std::string fmt = args.str("format");
    o.with_names = fmt == "json" || fmt.find("Names") != std::string::npos || fmt.find("{{json .}}") != std::string::npos;
    if (!args.positionals.empty()) o.filters.push_back("reference=" + args.positionals[0]);
    auto rows = engine::list_images(e, o);
    if (args.flag("quiet")) {
        std::set<std::string> seen;
        for (auto& r : rows)
            if (seen.insert(r["ID"].get<std::string>()).second) std::cout << r["ID"].get<std::string>() << "\n";
        return 0;
    }
    std::vector<Column> cols = {{"REPOSITORY", "{{.Repository}}"}, {"TAG", "{{.Tag}}"}};
    if (o.digests) cols.push_back({"DIGEST", "{{.Digest}}"});
    cols.insert(cols.end(), {{"IMAGE ID", "{{.ID}}"}, {"CREATED", "{{.CreatedSince}}"}, {"SIZE", "{{.Size}}"}});
    print_list(args.str("format"), rows, cols, args.flag("noheading"));
    return 0;
}

int image_inspect_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    std::vector<Json> out;
    std::string missing;
    for (auto& ref : args.positionals) {
        try {
            out.push_back(engine::inspect_image(e, e.images().resolve(ref)));
        } catch (const NotFound&) {
            missing = ref;
        }
    }
    print_inspect(args.str("format"), out);
    if (!missing.empty()) throw NotFound("no such image: " + missing);
    return 0;
}

int tag_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto img = e.images().resolve(args.positionals[0]);
    for (size_t i = 1; i < args.positionals.size(); ++i)
        e.images().tag(img.id, image::parse_reference(args.positionals[i]).full());
    return 0;
}

int rmi_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    e.enter_storage_namespace();
    int rc = 0;
    for (auto& ref : args.positionals) {
        try {
            auto report = engine::remove_image(e, ref, args.flag("force"));
            for (auto& u : report.untagged) std::cout << "Untagged: " << u << "\n";
            for (auto& d : report.deleted) std::cout << "Deleted: " << d << "\n";
        } catch (const Error& err) {
            std::cerr << "Error: " << err.what() << "\n";
            // Podman's codes: 1 no such image, 2 image in use (Docker says 1 for both).
            rc = dynamic_cast<const NotFound*>(&err) ? 1 : std::string(err.what()).find("in use") != std::string::npos ? 2 : kExitEngine;
        }
    }
    return rc;
}

int image_prune_cmd(Context& ctx, const cli::Args& args) {
    bool all = args.flag("all");
    engine::Engine e(ctx);
    // Into the namespace first: a re-executed command would ask again.
    e.enter_storage_namespace();
    if (!args.flag("force") &&
        !confirm(all ? "WARNING! This will remove all images without at least one container associated to them.\n"
                       "Are you sure you want to continue?"
                     : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"))
        return 0;
    auto report = engine::prune_images(e, all, args.list("filter"));
    if (!report.deleted.empty()) {
        std::cout << "Deleted Images:\n";
        for (auto& d : report.deleted) std::cout << "deleted: " << d << "\n";
        std::cout << "\n";
    }
    std::cout << "Total reclaimed space: " << str::human_size(static_cast<double>(report.reclaimed)) << "\n";
    return 0;
}

int history_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto img = e.images().resolve(args.positionals[0]);
    bool human = args.str("human", "true") != "false";
    auto rows = engine::image_history(e, img, human, args.flag("no-trunc"));
    if (args.flag("quiet")) {
        for (auto& r : rows) std::cout << r["ID"].get<std::string>() << "\n";
        return 0;
    }
    print_list(args.str("format"), rows,
               {{"IMAGE", "{{.ID}}"}, {"CREATED", "{{.Created}}"}, {"CREATED BY", "{{.CreatedBy}}"},
                {"SIZE", "{{.Size}}"}, {"COMMENT", "{{.Comment}}"}},
               args.flag("noheading"));
    return 0;
}

UniqueFd open_input(const std::string& path) {
    if (path.empty() || path == "-") return UniqueFd(::dup(0));
    return fs::open_or_throw(path, O_RDONLY);
}

// docker import URL: the body streams into the unpacker as a pulled
// layer's does.
image::Image import_url(engine::Engine& e, const std::string& url, const cli::Args& args,
                        const std::vector<std::string>& names) {
    registry::HttpRequest req;
    req.url = url;
    req.follow_redirects = true;
    try {
        registry::HttpStream body(req, registry::TlsConfig{});
        const auto& res = body.start();
        if (res.status < 200 || res.status >= 300)
            throw Error("import " + url + ": the server answered HTTP " + std::to_string(res.status));
        return engine::import_tarball(
            e, [&](char* buf, size_t len) { return body.read(buf, len); }, args.list("change"), args.str("message"),
            names);
    } catch (const registry::TransportError& err) {
        throw Error("import " + url + ": " + err.what());
    }
}

int import_cmd(Context& ctx, const cli::Args& args) {
    const std::string& src = args.positionals[0];
    std::vector<std::string> names;
    if (args.positionals.size() > 1) names.push_back(image::parse_reference(args.positionals[1]).full());
    engine::Engine e(ctx);
    e.enter_storage_namespace();
    image::Image img;
    if (src.rfind("http://", 0) == 0 || src.rfind("https://", 0) == 0) {
        img = import_url(e, src, args, names);
    } else {
        UniqueFd fd = open_input(src);
        if (src == "-" && isatty(0)) throw Error("import: refusing to read a tarball from a terminal");
        img = engine::import_tarball(e, layers::fd_reader(fd.get()), args.list("change"), args.str("message"), names);
    }
    if (!args.flag("quiet")) std::cout << "sha256:" << img.id << "\n";
    return 0;
}

std::vector<image::SaveItem> save_items(engine::Engine& e, const std::vector<std::string>& refs) {
    std::vector<image::SaveItem> items;
    for (auto& ref : refs) {
        auto img = e.images().resolve(ref);
        image::SaveItem item{img, {}};
        // A name saves that name; an ID saves every name the image has.
        std::string name = e.images().name_for(ref, img);
        if (name.empty()) item.names = img.names;
        else item.names = {name};
        items.push_back(std::move(item));
    }
    return items;
}

int save_cmd(Context& ctx, const cli::Args& args) {
    auto format = image::parse_archive_format(args.str("format", "docker-archive"));
    std::string out = args.str("output");
    bool dir_format = format == image::ArchiveFormat::OciDir || format == image::ArchiveFormat::DockerDir;
    if (dir_format && out.empty()) throw Error("save: --format " + args.str("format") + " needs --output DIR");
    if (out.empty() && isatty(1))
        throw Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    engine::Engine e(ctx);
    auto items = save_items(e, args.positionals);
    if (dir_format) {
        image::save_dir(e.images(), items, format, out);
        return 0;
    }
    if (out.empty()) {
        image::save_archive(e.images(), items, format, layers::fd_writer(1));
        return 0;
    }
    // Written next to the target and renamed: no half archive under the name.
    std::string tmp = out + ".skiff-tmp";
    UniqueFd fd = fs::open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    try {
        image::save_archive(e.images(), items, format, layers::fd_writer(fd.get()));
        if (::fsync(fd.get()) < 0) throw_errno("fsync " + tmp);
        if (::rename(tmp.c_str(), out.c_str()) < 0) throw_errno("rename " + tmp);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    return 0;
}

int load_cmd(Context& ctx, const cli::Args& args) {
    std::string in = args.str("input");
    if (in.empty() && isatty(0))
        throw Error("load: requested load from stdin, but stdin is empty or a terminal; use -i FILE");
    engine::Engine e(ctx);
    e.enter_storage_namespace();
    std::vector<image::LoadedImage> loaded;
    if (!in.empty() && fs::is_dir(in)) {
        loaded = image::load_oci_dir(e.images(), in);
    } else {
        UniqueFd fd = open_input(in);
        loaded = image::load_archive(e.images(), layers::fd_reader(fd.get()));
    }
    if (args.flag("quiet")) return 0;
    for (auto& l : loaded) {
        if (l.tags.empty()) std::cout << "Loaded image ID: sha256:" << l.image.id << "\n";
        for (auto& t : l.tags) std::cout << "Loaded image: " << engine::familiar(image::parse_reference(t).full()) << "\n";
    }
    return 0;
}

int image_exists_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    return e.images().find(args.positionals[0]) ? 0 : 1;
}

}  // namespace

void register_images(cli::Table& t) {
    t.add({.path = "images",
           .aliases = {"image ls", "image list"},
           .usage = "[OPTIONS] [REPOSITORY[:TAG]]",
           .summary = "List images",
           .flags = {{"all", 'a', FlagType::Bool, "Show all images (default hides intermediate images)"},
                     {"digests", 0, FlagType::Bool, "Show digests"},
                     filter_flag(),
                     format_flag("Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template"),
                     {"no-trunc", 0, FlagType::Bool, "Don't truncate output"},
                     {"noheading", 'n', FlagType::Bool, "Do not print column headings"},
                     {"quiet", 'q', FlagType::Bool, "Only show image IDs"}},
           .handler = images_cmd,
           .max_args = 1,
           .examples = {"skiff images", "skiff images --filter dangling=true -q",
                        "skiff images --format '{{.Repository}}:{{.Tag}}'"}});
    t.add({.path = "image inspect",
           .usage = "[OPTIONS] IMAGE [IMAGE...]",
           .summary = "Display detailed information on one or more images",
           .flags = {{"format", 'f', FlagType::String, "Format the output using the given Go template", "string"}},
           .handler = image_inspect_cmd,
           .min_args = 1,
           .arg_complete = Complete::Image});
    t.add({.path = "tag",
           .aliases = {"image tag"},
           .usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG] [TARGET_IMAGE[:TAG]...]",
           .summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
           .handler = tag_cmd,
           .min_args = 2,
           .arg_complete = Complete::Image,
           .examples = {"skiff tag busybox localhost:5000/busybox:1"}});
    t.add({.path = "rmi",
           .aliases = {"image rm", "image remove"},
           .usage = "[OPTIONS] IMAGE [IMAGE...]",
           .summary = "Remove one or more images",
           .flags = {{"force", 'f', FlagType::Bool, "Force removal of the image"}},
           .handler = rmi_cmd,
           .min_args = 1,
           .arg_complete = Complete::Image});
    t.add({.path = "image prune",
           .usage = "[OPTIONS]",
           .summary = "Remove unused images",
           .flags = {{"all", 'a', FlagType::Bool, "Remove all unused images, not just dangling ones"},
                     {"filter", 0, FlagType::List, "Provide filter values (e.g. 'until=<timestamp>', 'label=k=v')", "filter"},
                     {"force", 'f', FlagType::Bool, "Do not prompt for confirmation"}},
           .handler = image_prune_cmd,
           .max_args = 0});
    t.add({.path = "history",
           .aliases = {"image history"},
           .usage = "[OPTIONS] IMAGE",
           .summary = "Show the history of an image",
           .flags = {format_flag("Format output using a custom template"),
                     {"human", 'H', FlagType::Bool, "Print sizes and dates in human readable format", "", "true"},
                     {"no-trunc", 0, FlagType::Bool, "Don't truncate output"},
                     {"noheading", 0, FlagType::Bool, "Do not print column headings"},
                     {"quiet", 'q', FlagType::Bool, "Only show image IDs"}},
           .handler = history_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Image});
    t.add({.path = "import",
           .aliases = {"image import"},
           .usage = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
           .summary = "Import the contents from a tarball to create a filesystem image",
           .description = "A flat tar of a root filesystem (plain, gzip or zstd), from a file, standard input or an "
                          "http:// or https:// URL (streamed, not saved first), becomes a one-layer image.",
           .flags = {{"change", 'c', FlagType::List, "Apply Dockerfile instruction to the created image", "list"},
                     {"message", 'm', FlagType::String, "Set commit message for imported image", "string"},
                     {"quiet", 'q', FlagType::Bool, "Suppress the image ID output"}},
           .handler = import_cmd,
           .min_args = 1,
           .max_args = 2,
           .arg_complete = Complete::File,
           .examples = {"tar -C rootfs -c . | skiff import - localhost/mybase:1",
                        "skiff import --change 'CMD [\"sh\"]' rootfs.tar localhost/mybase",
                        "skiff import https://example.com/rootfs.tar.gz example/imagerepo"}});
    t.add({.path = "save",
           .aliases = {"image save"},
           .usage = "[OPTIONS] IMAGE [IMAGE...]",
           .summary = "Save one or more images to a tar archive (streamed to STDOUT by default)",
           .flags = {{"output", 'o', FlagType::String, "Write to a file, instead of STDOUT", "string", "", Complete::File},
                     {"format", 0, FlagType::String, "Save image to docker-archive, oci-archive, oci-dir or docker-dir",
                      "string", "docker-archive", Complete::Fixed, {"docker-archive", "oci-archive", "oci-dir", "docker-dir"}}},
           .handler = save_cmd,
           .min_args = 1,
           .arg_complete = Complete::Image,
           .examples = {"skiff save -o busybox.tar busybox", "skiff save --format oci-archive busybox > b.tar"}});
    t.add({.path = "load",
           .aliases = {"image load"},
           .usage = "[OPTIONS]",
           .summary = "Load an image from a tar archive or STDIN",
           .description = "Loads docker-archive and oci-archive tarballs (plain or compressed), as written by docker "
                          "save, podman save and skiff save, and OCI layout directories.",
           .flags = {{"input", 'i', FlagType::String, "Read from tar archive file, instead of STDIN", "string", "", Complete::File},
                     {"quiet", 'q', FlagType::Bool, "Suppress the load output"}},
           .handler = load_cmd,
           .max_args = 0,
           .examples = {"skiff load -i busybox.tar", "skiff load < busybox.tar"}});
    t.add({.path = "image exists",
           .usage = "IMAGE",
           .summary = "Check if an image exists in local storage (exit 0 if it does, 1 if not)",
           .handler = image_exists_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Image});
}

}  // namespace skiff::commands
