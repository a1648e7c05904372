// pull, push, login, logout, search: the registry client's commands.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/context.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "engine/engine.hpp"
#include "image/reference.hpp"
#include "registry/auth.hpp"
#include "registry/login.hpp"
#include "registry/prompt.hpp"
#include "registry/pull.hpp"
#include "registry/push.hpp"
#include "registry/search.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::Flag;
using cli::FlagType;

std::vector<Flag> connection_flags(bool with_creds = true) {
    std::vector<Flag> f = {
        {"authfile", 0, FlagType::String, "Path of the authentication file (default: ${XDG_RUNTIME_DIR}/containers/auth.json)",
         "string", "", Complete::File},
        {"cert-dir", 0, FlagType::String, "Use certificates at the specified path (*.crt, *.cert, *.key) to connect to the registry",
         "path", "", Complete::Dir},
        {"tls-verify", 0, FlagType::Bool, "Require HTTPS and verify certificates when contacting registries", "", "true"},
    };
    if (with_creds)
        f.push_back({"creds", 0, FlagType::String, "Use USERNAME[:PASSWORD] for accessing the registry", "USERNAME[:PASSWORD]"});
    return f;
}

std::vector<Flag> retry_flags() {
    return {{"retry", 0, FlagType::Int, "Number of times to retry in case of failure", "uint", "3"},
            {"retry-delay", 0, FlagType::String, "Delay between retries in case of failure (e.g. 2s, 500ms)", "string"}};
}

// Help lists flags by name, as Docker's and Podman's do.
std::vector<Flag> join(std::vector<Flag> a, const std::vector<Flag>& b) {
    a.insert(a.end(), b.begin(), b.end());
    std::sort(a.begin(), a.end(), [](const Flag& x, const Flag& y) { return x.name < y.name; });
    return a;
}

// "2s", "500ms", "1m", "3" (seconds).
double parse_delay(const std::string& v) {
    size_t used = 0;
    double n = 0;
    try {
        n = std::stod(v, &used);
    } catch (const std::exception&) {
        throw Error("invalid --retry-delay \"" + v + "\": expected a duration such as 2s or 500ms");
    }
    std::string unit = v.substr(used);
    if (unit.empty() || unit == "s") return n;
    if (unit == "ms") return n / 1000;
    if (unit == "m") return n * 60;
    throw Error("invalid --retry-delay \"" + v + "\": expected a duration such as 2s or 500ms");
}

registry::RegistryOptions registry_options(const cli::Args& args) {
    registry::RegistryOptions o;
    if (args.has("tls-verify")) o.tls_verify = args.flag("tls-verify");
    o.authfile = args.str("authfile");
    o.cert_dir = args.str("cert-dir");
    if (auto c = args.opt("creds")) o.creds = registry::parse_creds_flag(*c);
    if (args.has("retry")) {
        long long r = args.integer("retry");
        if (r < 0) throw Error("--retry must not be negative");
        o.retries = static_cast<int>(r);
    }
    if (auto d = args.opt("retry-delay")) o.retry_delay = parse_delay(*d);
    return o;
}

int pull_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    // Layers are unpacked as root of the user namespace: the whole command
    // runs there (flags are read after, so a password is asked for once).
    e.enter_storage_namespace();
    registry::PullOptions o;
    o.registry = registry_options(args);
    o.platform = args.str("platform");
    o.os = args.str("os");
    o.arch = args.str("arch");
    o.variant = args.str("variant");
    o.quiet = args.flag("quiet");
    const std::string& ref = args.positionals[0];
    if (args.flag("all-tags")) {
        for (auto& img : registry::pull_all_tags(e, ref, o)) std::cout << img.id << "\n";
        return 0;
    }
    std::cout << registry::pull_image(e, ref, o).id << "\n";
    return 0;
}

int push_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    registry::PushOptions o;
    o.registry = registry_options(args);
    o.format = args.str("format");
    o.compression = args.str("compression-format");
    o.quiet = args.flag("quiet");
    o.digestfile = args.str("digestfile");
    if (auto c = args.opt("chunk-size")) {
        long long n = str::parse_ram_bytes(*c);
        if (n <= 0) throw Error("--chunk-size must be positive");
        o.chunk_size = n;
    }
    const std::string& src = args.positionals[0];
    std::string dest = args.positionals.size() > 1 ? args.positionals[1] : "";
    std::vector<std::pair<std::string, std::string>> jobs;
    if (args.flag("all-tags")) {
        // Docker's push -a: every local tag of the repository.
        if (!dest.empty()) throw Error("push --all-tags takes one repository and no destination");
        image::Reference repo = image::parse_reference(src);
        if (src.find('@') != std::string::npos || (src.rfind(':') != std::string::npos && src.rfind(':') > src.rfind('/') &&
                                                   src.substr(src.rfind(':')).find('/') == std::string::npos))
            throw Error("tag can't be used with --all-tags/-a");
        for (auto& img : e.images().list())
            for (auto& n : img.names) {
                image::Reference r = image::parse_reference(n);
                if (r.repository() == repo.repository() && !r.tag.empty()) jobs.emplace_back(n, n);
            }
        if (jobs.empty()) throw NotFound("no tags of " + repo.repository() + " to push");
    } else {
        jobs.emplace_back(src, dest);
    }
    for (auto& [from, to] : jobs) {
        auto res = registry::push_image(e, from, to, o);
        if (!o.quiet) std::cout << res.ref << ": digest: " << res.digest << " size: " << res.size << "\n";
    }
    return 0;
}

int login_cmd(Context&, const cli::Args& args) {
    std::string key = registry::login_key(args.positionals.empty() ? "" : args.positionals[0]);
    std::string authfile = args.str("authfile");
    if (args.flag("get-login")) {
        auto user = registry::logged_in_user(key, authfile);
        if (!user) throw Error("not logged into " + key);
        std::cout << *user << "\n";
        return 0;
    }
    registry::Credentials c;
    c.username = args.str("username");
    bool from_stdin = args.flag("password-stdin");
    if (from_stdin && args.has("password")) throw Error("--password and --password-stdin are mutually exclusive");
    if (from_stdin && c.username.empty()) throw Error("must provide --username with --password-stdin");
    if (c.username.empty()) c.username = registry::prompt_line("Username: ", false);
    if (c.username.empty()) throw Error("login: the username must not be empty");
    if (from_stdin) {
        c.password = registry::read_stdin_secret();
    } else if (auto p = args.opt("password")) {
        std::cerr << "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";
        c.password = *p;
    } else {
        c.password = registry::prompt_line("Password: ", true);
    }
    if (c.password.empty()) throw Error("login: the password must not be empty");
    auto opts = registry_options(args);
    registry::login(key, c, opts);
    std::cout << "Login Succeeded!\n";
    return 0;
}

int logout_cmd(Context&, const cli::Args& args) {
    std::string authfile = args.str("authfile");
    if (args.flag("all")) {
        if (!args.positionals.empty()) throw Error("logout --all takes no registry");
        registry::logout_all(authfile);
        std::cout << "Removed login credentials for all registries\n";
        return 0;
    }
    std::string key = registry::login_key(args.positionals.empty() ? "" : args.positionals[0]);
    std::string where;
    switch (registry::logout(key, authfile, &where)) {
    case registry::LogoutResult::Removed:
        std::cout << "Removed login credentials for " << key << "\n";
        return 0;
    case registry::LogoutResult::NotLoggedIn:
        // Docker's: nothing to remove is no failure (Podman's is exit 125).
        std::cout << "Not logged in to " << key << "\n";
        return 0;
    case registry::LogoutResult::OnlyElsewhere:
        throw Error("not logged into " + key + " with skiff: the credentials come from " + where +
                    ", which skiff does not change (use docker logout)");
    }
    return 0;
}

int search_cmd(Context&, const cli::Args& args) {
    registry::SearchOptions o;
    o.registry = registry_options(args);
    o.limit = args.integer("limit", 0);
    if (o.limit < 0) throw Error("--limit must not be negative");
    o.list_tags = args.flag("list-tags");
    o.no_trunc = args.flag("no-trunc");
    o.filters = args.list("filter");
    if (o.list_tags && !o.filters.empty()) throw Error("filters are not applicable to --list-tags");
    auto rows = registry::search_images(args.positionals[0], o);
    if (o.list_tags)
        print_list(args.str("format"), rows, {{"NAME", "{{.Name}}"}, {"TAG", "{{.Tag}}"}}, false);
    else
        print_list(args.str("format"), rows,
                   {{"NAME", "{{.Name}}"},
                    {"DESCRIPTION", "{{.Description}}"},
                    {"STARS", "{{.Stars}}"},
                    {"OFFICIAL", "{{.Official}}"},
                    {"AUTOMATED", "{{.Automated}}"}},
                   false);
    return 0;
}

}  // namespace

void register_registry(cli::Table& t) {
    t.add({.path = "pull",
           .aliases = {"image pull"},
           .usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
           .summary = "Pull an image from a registry",
           .description =
               "Downloads an image and stores it. A short name (no registry) is resolved through registries.conf: "
               "its aliases, then each unqualified-search-registries entry in order (docker.io when none is "
               "configured). Progress goes to stderr; the image ID is printed on stdout.",
           .flags = join(join({{"all-tags", 'a', FlagType::Bool, "Download all tagged images in the repository"},
                               {"arch", 0, FlagType::String, "Use ARCH instead of the architecture of the machine", "ARCH"},
                               {"os", 0, FlagType::String, "Use OS instead of the running OS", "OS"},
                               {"platform", 0, FlagType::String, "Specify the platform for selecting the image (OS/ARCH[/VARIANT])",
                                "string"},
                               {"quiet", 'q', FlagType::Bool, "Suppress output information when pulling images"},
                               {"variant", 0, FlagType::String, "Use VARIANT instead of the running architecture variant", "VARIANT"},
                               {"disable-content-trust", 0, FlagType::Bool, "This is a Docker specific option and is a NOOP",
                                "", "", Complete::None, {}, true}},
                              connection_flags()),
                         retry_flags()),
           .handler = pull_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Image,
           .examples = {"skiff pull busybox", "skiff pull --arch arm64 docker.io/library/alpine:3.19",
                        "skiff pull localhost:5000/app@sha256:…"}});
    t.add({.path = "push",
           .aliases = {"image push"},
           .usage = "[OPTIONS] IMAGE [DESTINATION]",
           .summary = "Push an image to a registry",
           .description =
               "Uploads the image's layers (the blobs as pulled, so digests are kept; recompressed when "
               "--compression-format differs), mounts blobs from other repositories of the same registry, and "
               "writes the manifest.",
           .flags = join(join({{"all-tags", 'a', FlagType::Bool, "Push all tags of the repository"},
                               {"chunk-size", 0, FlagType::String, "Upload blobs in chunks of this size (e.g. 64m)", "size"},
                               {"compression-format", 0, FlagType::String, "Compression format used for layers (gzip, zstd)",
                                "string", "gzip", Complete::Fixed, {"gzip", "zstd"}},
                               {"digestfile", 0, FlagType::String, "Write the digest of the pushed image to the specified file",
                                "string", "", Complete::File},
                               {"format", 'f', FlagType::String, "Manifest type (oci or v2s2) to use when pushing", "string", "",
                                Complete::Fixed, {"oci", "v2s2"}},
                               {"quiet", 'q', FlagType::Bool, "Suppress output information when pushing images"},
                               {"remove-signatures", 0, FlagType::Bool, "Discard any pre-existing signatures in the image"},
                               {"disable-content-trust", 0, FlagType::Bool, "This is a Docker specific option and is a NOOP",
                                "", "", Complete::None, {}, true}},
                              connection_flags()),
                         retry_flags()),
           .handler = push_cmd,
           .min_args = 1,
           .max_args = 2,
           .arg_complete = Complete::Image,
           .examples = {"skiff push localhost:5000/app:1.0", "skiff push app docker.io/me/app:latest",
                        "skiff push --format v2s2 --digestfile d.txt app quay.io/me/app"}});
    t.add({.path = "login",
           .usage = "[OPTIONS] [REGISTRY]",
           .summary = "Log in to a container registry",
           .description = "Checks the credentials with the registry, then stores them in auth.json "
                          "(${XDG_RUNTIME_DIR}/containers/auth.json, or --authfile, or $REGISTRY_AUTH_FILE).",
           .flags = join({{"get-login", 0, FlagType::Bool, "Return the current login user for the registry"},
                          {"password", 'p', FlagType::String, "Password for registry", "string"},
                          {"password-stdin", 0, FlagType::Bool, "Take the password from stdin"},
                          {"username", 'u', FlagType::String, "Username for registry", "string"}},
                         connection_flags(false)),
           .handler = login_cmd,
           .max_args = 1,
           .examples = {"skiff login quay.io", "echo \"$TOKEN\" | skiff login -u me --password-stdin ghcr.io"}});
    t.add({.path = "logout",
           .usage = "[OPTIONS] [REGISTRY]",
           .summary = "Log out of a container registry",
           .flags = {{"all", 'a', FlagType::Bool, "Remove the cached credentials for all registries in the auth file"},
                     {"authfile", 0, FlagType::String, "Path of the authentication file", "string", "", Complete::File}},
           .handler = logout_cmd,
           .max_args = 1,
           .examples = {"skiff logout quay.io", "skiff logout --all"}});
    t.add({.path = "search",
           .usage = "[OPTIONS] TERM",
           .summary = "Search a registry for images",
           .description = "Searches Docker Hub for docker.io, and the repository catalog of other registries "
                          "(\"skiff search localhost:5000/busy\"). With --list-tags, lists the tags of one repository.",
           .flags = join({{"filter", 'f', FlagType::List, "Filter output based on conditions provided (stars=N, is-official, is-automated)",
                           "filter"},
                          {"format", 0, FlagType::String, "Change the output format to JSON or a Go template", "string"},
                          {"limit", 0, FlagType::Int, "Limit the number of results (default 25)", "int"},
                          {"list-tags", 0, FlagType::Bool, "List the tags of the input registry"},
                          {"no-trunc", 0, FlagType::Bool, "Do not truncate the output"}},
                         connection_flags()),
           .handler = search_cmd,
           .min_args = 1,
           .max_args = 1,
           .examples = {"skiff search localhost:5000/busy", "skiff search --list-tags quay.io/podman/stable"}});
}

}  // namespace skiff::commands
