// run, create, start, stop, restart, kill, rm, wait, exec, rename,
// container exists, container prune, attach (pause, unpause: container_ops.cpp).
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "cli/context.hpp"
#include "commands/for_each.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "commands/run_flags.hpp"
#include "container/monitor.hpp"
#include "util/fs.hpp"
#include "engine/containers.hpp"
#include "engine/engine.hpp"
#include "engine/volumes.hpp"
#include "image/reference.hpp"
#include "registry/pull.hpp"
#include "util/error.hpp"
#include "util/terminal.hpp"
#include "util/host.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"
#include "util/unixsock.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::Flag;
using cli::FlagType;

image::Image resolve_image(engine::Engine& e, const cli::Args& args) {
    const std::string& ref = args.positionals[0];
    std::string policy = args.str("pull", "missing");
    if (policy != "always" && policy != "missing" && policy != "never" && policy != "newer")
        throw Error("invalid --pull \"" + policy + "\": expected always, missing, never or newer");
    registry::PullOptions po;
    po.platform = args.str("platform");
    auto img = registry::ensure_image(e, ref, policy, po);
    if (!img) throw Error(ref + ": image not known");
    if (!po.platform.empty()) {
        std::string have = img->config.value("os", "linux") + "/" + img->config.value("architecture", host::arch());
        std::string variant = img->config.value("variant", "");
        if (po.platform != have && po.platform != have + "/" + variant)
            throw Error("image " + ref + " is for " + have + ", not " + po.platform);
    }
    return *img;
}

container::Container do_create(engine::Engine& e, const cli::Args& args) {
    auto spec = spec_from_args(args);
    // A pull unpacks layers, which rootless must happen in the user
    // namespace; the rest goes on here, where the monitor can still join
    // namespaces (another container's, the networks') the re-executed
    // command could not reach.
    if (args.str("pull", "missing") != "never" && !e.images().find(args.positionals[0])) {
        int rc = e.pull_in_storage_namespace();
        if (rc > 0) std::exit(rc);
    }
    auto img = resolve_image(e, args);
    if (std::getenv(engine::kPullOnlyEnv)) std::exit(0);
    return engine::create_container(e, std::move(spec), img, args.str("name"));
}

int create_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto c = do_create(e, args);
    std::cout << c.id << "\n";
    return 0;
}

engine::AttachFds attach_fds(const cli::Args& args, bool interactive, const std::string& detach_keys) {
    engine::AttachFds a;
    a.attach = true;
    a.detach_keys = detach_keys;
    auto streams = args.list("attach");
    auto want = [&](const char* s) {
        if (streams.empty()) return true;
        for (auto& x : streams)
            if (str::lower(x) == s) return true;
        return false;
    };
    for (auto& s : streams)
        if (str::lower(s) != "stdin" && str::lower(s) != "stdout" && str::lower(s) != "stderr")
            throw Error("invalid --attach \"" + s + "\": expected STDIN, STDOUT or STDERR");
    a.in = interactive && want("stdin") ? 0 : -1;
    a.out = want("stdout") ? 1 : -1;
    a.err = want("stderr") ? 2 : -1;
    return a;
}

int attach_and_wait(engine::Session& s, const container::Container& c, bool sig_proxy) {
    std::unique_ptr<RawTerminal> raw;
    int tty_fd = -1;
    if (c.spec.tty && ::isatty(0)) {
        raw = std::make_unique<RawTerminal>(0);
        tty_fd = 0;
    }
    auto r = engine::wait_session(s, sig_proxy && !c.spec.tty, tty_fd);
    raw.reset();
    if (r.detached) {
        std::cerr << "\n";
        return 0;
    }
    return r.exit_code;
}

// run --rm: a container that never started goes too, as with Docker. Once
// the monitor ran it has removed the container itself; this is for a start
// that failed before there was a monitor (a runtime or log driver missing).
engine::Session start_new(engine::Engine& e, const container::Container& c, const engine::AttachFds& fds) {
    try {
        return engine::start_container(e, c, fds);
    } catch (const Error&) {
        if (c.spec.remove) {
            try {
                // Nothing of it was mounted or unpacked yet: no need of the
                // storage namespace (entering it re-executes the command).
                auto left = engine::find_container(e, c.id);
                engine::remove_container(e, left, true);
                engine::remove_container_volumes(e, left);
            } catch (const NotFound&) {
            } catch (const Error& err) {
                std::cerr << "WARNING: removing " << c.name << ": " << err.what() << "\n";
            }
        }
        throw;
    }
}

// Docker's CLI check, before anything is made: -i and -t attached to an
// input that is no terminal would wait forever for one. Exit 1, as Docker.
void require_tty_input(const cli::Args& args) {
    if (args.flag("detach") || !args.flag("interactive") || !args.flag("tty") || ::isatty(0)) return;
    throw Error("the input device is not a TTY", 1);
}

int run_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    bool detach = args.flag("detach");
    require_tty_input(args);
    auto c = do_create(e, args);
    std::string keys = args.str("detach-keys", "ctrl-p,ctrl-q");
    if (detach) {
        engine::AttachFds none;
        none.detach_keys = keys;
        start_new(e, c, none);
        std::cout << c.id << "\n";
        return 0;
    }
    auto session = start_new(e, c, attach_fds(args, c.spec.interactive, keys));
    return attach_and_wait(session, c, args.str("sig-proxy", "true") != "false");
}

int start_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    bool attach = args.flag("attach") || args.flag("interactive");
    if (attach && args.positionals.size() > 1) throw Error("you cannot start and attach multiple containers at once");
    int rc = 0;
    for (auto& ref : args.positionals) {
        try {
            auto c = engine::find_container(e, ref);
            if (c.running()) {
                if (!attach) std::cout << ref << "\n";
                continue;
            }
            if (attach) {
                engine::AttachFds a;
                a.attach = true;
                a.in = args.flag("interactive") ? 0 : -1;
                a.out = 1;
                a.err = 2;
                a.detach_keys = args.str("detach-keys", "ctrl-p,ctrl-q");
                auto s = engine::start_container(e, c, a);
                return attach_and_wait(s, c, true);
            }
            engine::start_container(e, c, {});
            std::cout << ref << "\n";
        } catch (const Error& err) {
            std::cerr << "Error: " << err.what() << "\n";
            rc = kExitEngine;
        }
    }
    return rc;
}

int stop_timeout(const container::Container& c, const cli::Args& args) {
    if (args.has("time")) return static_cast<int>(args.integer("time"));
    return c.spec.stop_timeout >= 0 ? c.spec.stop_timeout : 10;
}

// --signal, checked before any container is touched; 0 when not given.
int stop_signal(const cli::Args& args) { return args.has("signal") ? engine::parse_signal(args.str("signal")) : 0; }

int stop_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    if (!args.flag("all") && args.positionals.empty()) throw Error("\"skiff stop\" requires at least 1 argument");
    int sig = stop_signal(args);
    return for_each_ref(e, args, args.flag("all"), [&](const container::Container& c, const std::string& ref) {
        if (args.flag("all") && !c.running()) return;
        engine::stop_container(e, c, stop_timeout(c, args), sig);
        std::cout << (args.flag("all") ? c.id : ref) << "\n";
    });
}

int restart_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    int sig = stop_signal(args);
    return for_each_ref(e, args, false, [&](const container::Container& c, const std::string& ref) {
        engine::stop_container(e, c, stop_timeout(c, args), sig);
        engine::start_container(e, engine::find_container(e, c.id), {});
        std::cout << ref << "\n";
    });
}

int kill_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    int sig = engine::parse_signal(args.str("signal", "KILL"));
    return for_each_ref(e, args, false, [&](const container::Container& c, const std::string& ref) {
        engine::kill_container(e, c, sig);
        std::cout << ref << "\n";
    });
}

int rm_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    if (!args.flag("all") && args.positionals.empty()) throw Error("\"skiff rm\" requires at least 1 argument");
    // Container files may belong to subordinate IDs: remove them in the namespace.
    e.enter_storage_namespace();
    return for_each_ref(e, args, args.flag("all"), [&](const container::Container& c, const std::string& ref) {
        engine::remove_container(e, c, args.flag("force"));
        if (args.flag("volumes")) engine::remove_container_volumes(e, c);
        std::cout << (args.flag("all") ? c.id : ref) << "\n";
    });
}

int wait_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    int rc = 0;
    for (auto& ref : args.positionals) {
        try {
            auto c = engine::find_container(e, ref);
            std::cout << engine::wait_container(e, c.id, args.str("condition", "stopped")) << "\n";
        } catch (const Error& err) {
            std::cerr << "Error: " << err.what() << "\n";
            rc = kExitEngine;
        }
    }
    return rc;
}

int exec_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto c = engine::find_container(e, args.positionals[0]);
    engine::ExecRequest req;
    req.argv.assign(args.positionals.begin() + 1, args.positionals.end());
    for (auto& f : args.list("env-file")) {
        auto text = fs::read_file_if_exists(f);
        if (!text) throw Error("--env-file " + f + ": No such file or directory");
        for (auto& line : str::split(*text, '\n')) {
            std::string t = str::trim(line);
            if (!t.empty() && t[0] != '#') req.env.push_back(t);
        }
    }
    for (auto& kv : args.list("env")) {
        if (kv.find('=') != std::string::npos) req.env.push_back(kv);
        else if (const char* v = std::getenv(kv.c_str())) req.env.push_back(kv + "=" + v);
    }
    req.user = args.str("user");
    req.workdir = args.str("workdir");
    require_tty_input(args);
    req.tty = args.flag("tty");
    req.interactive = args.flag("interactive");
    req.detach = args.flag("detach");
    req.privileged = args.flag("privileged");
    return engine::exec_in_container(e, c, req);
}

int rename_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto c = engine::find_container(e, args.positionals[0]);
    container::Records(e.db()).rename(c.id, args.positionals[1]);
    return 0;
}

int exists_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    try {
        engine::find_container(e, args.positionals[0]);
        return 0;
    } catch (const NotFound&) {
        return 1;
    }
}

int prune_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    // Into the namespace first: a re-executed command would ask again.
    e.enter_storage_namespace();
    if (!args.flag("force") && !confirm("WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"))
        return 0;
    int64_t now = timeutil::now_ns();
    std::vector<std::pair<std::string, std::string>> filters;
    for (auto& f : args.list("filter")) {
        auto [k, v] = str::split_once(f, '=');
        if (k != "until" && k != "label") throw Error("invalid filter '" + k + "'");
        filters.emplace_back(k, v);
    }
    std::cout << "Deleted Containers:\n";
    for (auto& c : engine::list_containers(e)) {
        if (c.running()) continue;
        bool keep = false;
        for (auto& [k, v] : filters) {
            if (k == "until" && c.created > timeutil::parse_time(v, now)) keep = true;
            if (k == "label") {
                auto [lk, lv] = str::split_once(v, '=');
                auto it = c.spec.labels.find(lk);
                if (it == c.spec.labels.end() || (v.find('=') != std::string::npos && it->second != lv)) keep = true;
            }
        }
        if (keep) continue;
        engine::remove_container(e, c, false);
        std::cout << c.id << "\n";
    }
    engine::remove_orphaned_container_files(e);
    std::cout << "\nTotal reclaimed space: 0B\n";
    return 0;
}

int attach_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto c = engine::find_container(e, args.positionals[0]);
    if (!c.running()) throw Error("you cannot attach to a stopped container, start it first");
    auto sock = unixsock::connect_to(container::container_paths(e.paths(), c.id).attach_socket());
    bool in = !args.flag("no-stdin") && c.spec.interactive;
    std::vector<int> fds;
    if (in) fds.push_back(0);
    fds.push_back(1);
    fds.push_back(2);
    std::string keys = args.str("detach-keys", c.spec.tty || in ? "ctrl-p,ctrl-q" : "");
    container::parse_detach_keys(keys);  // refuse a bad spec here, not in the monitor
    unixsock::send(sock.get(), std::string("attach ") + (in ? "1" : "0") + " 1 1 " + (keys.empty() ? "-" : keys) + "\n", fds);
    engine::Session s;
    s.ctl = std::move(sock);
    std::string line;
    // The monitor greets with its state first.
    if (s.lines.fill(s.ctl.get()) && s.lines.next(line) && line.rfind("exit ", 0) == 0) return std::atoi(line.c_str() + 5);
    return attach_and_wait(s, c, args.str("sig-proxy", "true") != "false");
}

std::vector<Flag> with(std::vector<Flag> a, const std::vector<Flag>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

void register_containers(cli::Table& t) {
    t.add({.path = "run",
           .aliases = {"container run"},
           .usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
           .summary = "Run a command in a new container",
           .flags = with(create_flags(), run_only_flags()),
           .handler = run_cmd,
           .min_args = 1,
           .flags_before_args_only = true,
           .arg_complete = Complete::Image,
           .examples = {"skiff run --rm busybox echo hello", "skiff run -it busybox sh",
                        "skiff run -d --name web -v $PWD:/srv busybox httpd -f -h /srv"}});
    t.add({.path = "create",
           .aliases = {"container create"},
           .usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
           .summary = "Create a new container",
           .flags = create_flags(),
           .handler = create_cmd,
           .min_args = 1,
           .flags_before_args_only = true,
           .arg_complete = Complete::Image});
    t.add({.path = "start",
           .aliases = {"container start"},
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Start one or more stopped containers",
           .flags = {{"attach", 'a', FlagType::Bool, "Attach STDOUT/STDERR and forward signals"},
                     {"detach-keys", 0, FlagType::String, "Override the key sequence for detaching a container", "string"},
                     {"interactive", 'i', FlagType::Bool, "Attach container's STDIN"}},
           .handler = start_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "stop",
           .aliases = {"container stop"},
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Stop one or more running containers",
           .flags = {{"all", 'a', FlagType::Bool, "Stop all running containers"},
                     {"signal", 's', FlagType::String,
                      "Signal to send to the container (default: its --stop-signal, the image's, or SIGTERM)", "string"},
                     {"time", 't', FlagType::Int, "Seconds to wait before killing the container", "int", "10"}},
           .handler = stop_cmd,
           .arg_complete = Complete::Container});
    t.add({.path = "restart",
           .aliases = {"container restart"},
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Restart one or more containers",
           .flags = {{"signal", 's', FlagType::String,
                      "Signal to stop the container with (default: its --stop-signal, the image's, or SIGTERM)", "string"},
                     {"time", 't', FlagType::Int, "Seconds to wait before killing the container", "int", "10"}},
           .handler = restart_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "kill",
           .aliases = {"container kill"},
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Kill one or more running containers",
           .flags = {{"signal", 's', FlagType::String, "Signal to send to the container", "string", "KILL"}},
           .handler = kill_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "rm",
           .aliases = {"container rm", "container remove"},
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Remove one or more containers",
           .flags = {{"all", 'a', FlagType::Bool, "Remove all containers"},
                     {"force", 'f', FlagType::Bool, "Force the removal of a running container (uses SIGKILL)"},
                     {"volumes", 'v', FlagType::Bool, "Remove anonymous volumes associated with the container"}},
           .handler = rm_cmd,
           .arg_complete = Complete::Container});
    t.add({.path = "wait",
           .aliases = {"container wait"},
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Block until one or more containers stop, then print their exit codes",
           .flags = {{"condition", 0, FlagType::String, "Condition to wait on (stopped, running, exited, not-running)",
                      "string", "stopped", Complete::Fixed, {"stopped", "running", "exited", "not-running"}}},
           .handler = wait_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "exec",
           .aliases = {"container exec"},
           .usage = "[OPTIONS] CONTAINER COMMAND [ARG...]",
           .summary = "Execute a command in a running container",
           .flags = {{"detach", 'd', FlagType::Bool, "Detached mode: run command in the background"},
                     {"env", 'e', FlagType::List, "Set environment variables", "list"},
                     {"env-file", 0, FlagType::List, "Read in a file of environment variables", "list", "", Complete::File},
                     {"interactive", 'i', FlagType::Bool, "Keep STDIN open even if not attached"},
                     {"privileged", 0, FlagType::Bool, "Give extended privileges to the command"},
                     {"tty", 't', FlagType::Bool, "Allocate a pseudo-TTY"},
                     {"user", 'u', FlagType::String, "Username or UID (format: <name|uid>[:<group|gid>])", "string"},
                     {"workdir", 'w', FlagType::String, "Working directory inside the container", "string"}},
           .handler = exec_cmd,
           .min_args = 2,
           .flags_before_args_only = true,
           .arg_complete = Complete::Container,
           .examples = {"skiff exec -it web sh", "skiff exec web cat /etc/hostname"}});
    t.add({.path = "rename",
           .aliases = {"container rename"},
           .usage = "CONTAINER NEW_NAME",
           .summary = "Rename a container",
           .handler = rename_cmd,
           .min_args = 2,
           .max_args = 2,
           .arg_complete = Complete::Container});
    t.add({.path = "container exists",
           .usage = "CONTAINER",
           .summary = "Check if a container exists (exit 0 if it does, 1 if not)",
           .handler = exists_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "container prune",
           .usage = "[OPTIONS]",
           .summary = "Remove all stopped containers",
           .flags = {{"filter", 0, FlagType::List, "Provide filter values (e.g. 'until=<timestamp>', 'label=k=v')", "filter"},
                     {"force", 'f', FlagType::Bool, "Do not prompt for confirmation"}},
           .handler = prune_cmd,
           .max_args = 0});
    t.add({.path = "attach",
           .aliases = {"container attach"},
           .usage = "[OPTIONS] CONTAINER",
           .summary = "Attach local standard input, output, and error streams to a running container",
           .flags = {{"detach-keys", 0, FlagType::String, "Override the key sequence for detaching a container", "string"},
                     {"no-stdin", 0, FlagType::Bool, "Do not attach STDIN"},
                     {"sig-proxy", 0, FlagType::Bool, "Proxy all received signals to the process", "", "true"}},
           .handler = attach_cmd,
           .min_args = 1,
           .max_args = 1,
           .arg_complete = Complete::Container});
}

}  // namespace skiff::commands
