// ps, logs, inspect, top, port: looking at containers.
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <set>
#include <thread>

#include "cli/context.hpp"
#include "commands/output.hpp"
#include "commands/registry.hpp"
#include "container/journald.hpp"
#include "container/logs.hpp"
#include "engine/containers.hpp"
#include "engine/volumes.hpp"
#include "engine/engine.hpp"
#include "engine/images.hpp"
#include "engine/network.hpp"
#include "engine/network_attach.hpp"
#include "net/network_records.hpp"
#include "net/ports.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::Flag;
using cli::FlagType;

bool ps_filter_match(engine::Engine& e, const container::Container& c, const std::string& key, const std::string& value) {
    if (key == "id") return c.id.rfind(value, 0) == 0;
    if (key == "name") return c.name.find(value) != std::string::npos || fnmatch(value.c_str(), c.name.c_str(), 0) == 0;
    if (key == "label") {
        auto [k, v] = str::split_once(value, '=');
        auto it = c.spec.labels.find(k);
        return it != c.spec.labels.end() && (value.find('=') == std::string::npos || it->second == v);
    }
    if (key == "status") {
        static const std::set<std::string> ok = {"created", "restarting", "running", "removing", "paused", "exited", "dead"};
        if (!ok.count(value)) throw Error("invalid filter 'status=" + value + "'");
        std::string st = c.state == "stopping" ? "running" : c.state;
        return st == value;
    }
    if (key == "ancestor") {
        auto img = e.images().find(value);
        return (img && img->id == c.image_id) || c.image_name == value;
    }
    if (key == "exited") return c.state == "exited" && std::to_string(c.exit_code) == value;
    if (key == "network") {
        // A mode (host, none, private), or a network the container is on
        // now (connect and disconnect count): its name or an ID prefix.
        if (c.spec.network != "networks") return c.spec.network == value;
        for (auto& a : engine::container_attachments(e, c.id)) {
            if (a.network_id.rfind(value, 0) == 0) return true;
            auto n = net::NetworkRecords(e.db()).get(a.network_id);
            if (n && n->name == value) return true;
        }
        return false;
    }
    if (key == "volume") {
        // A volume's name or the destination of a volume or bind mount, as Docker's.
        for (auto& m : c.spec.mounts)
            if ((m.type == "volume" && m.source == value) || (m.type != "tmpfs" && m.destination == value))
                return true;
        return false;
    }
    if (key == "before" || key == "since") {
        auto other = engine::find_container(e, value);
        return key == "before" ? c.created < other.created : c.created > other.created;
    }
    throw Error("invalid filter '" + key + "'");
}

int ps_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    // Writable layers hold files of subordinate IDs: measured from inside.
    if (args.flag("size")) e.enter_storage_namespace();
    auto all = engine::list_containers(e);
    std::vector<std::pair<std::string, std::string>> filters;
    for (auto& f : args.list("filter")) {
        if (f.find('=') == std::string::npos) throw Error("bad format of filter (expected name=value): " + f);
        filters.push_back(str::split_once(f, '='));
    }
    bool show_all = args.flag("all") || args.flag("latest") || args.has("last");
    std::vector<container::Container> picked;
    for (auto& c : all) {
        bool status_filter = false;
        for (auto& [k, v] : filters) status_filter |= k == "status" || k == "exited";
        if (!show_all && !status_filter && !c.running()) continue;
        bool ok = true;
        for (auto& [k, v] : filters) ok = ok && ps_filter_match(e, c, k, v);
        if (ok) picked.push_back(c);
    }
    long long last = args.flag("latest") ? 1 : args.integer("last", -1);
    if (last >= 0 && static_cast<long long>(picked.size()) > last) picked.resize(static_cast<size_t>(last));
    bool no_trunc = args.flag("no-trunc");
    if (args.flag("quiet")) {
        for (auto& c : picked) std::cout << (no_trunc ? c.id : c.id.substr(0, 12)) << "\n";
        return 0;
    }
    std::vector<Json> rows;
    for (auto& c : picked) rows.push_back(engine::ps_row(e, c, no_trunc, args.flag("size")));
    std::vector<Column> cols = {{"CONTAINER ID", "{{.ID}}"}, {"IMAGE", "{{.Image}}"},     {"COMMAND", "{{.Command}}"},
                                {"CREATED", "{{.RunningFor}}"}, {"STATUS", "{{.Status}}"}, {"PORTS", "{{.Ports}}"},
                                {"NAMES", "{{.Names}}"}};
    if (args.flag("size")) cols.push_back({"SIZE", "{{.Size}}"});
    print_list(args.str("format"), rows, cols, args.flag("noheading"));
    return 0;
}

void print_log_line(const container::LogLine& l, bool timestamps, const std::string& prefix) {
    std::ostream& out = l.is_stderr ? std::cerr : std::cout;
    if (!prefix.empty()) out << prefix;
    if (timestamps) out << timeutil::rfc3339_nano(l.time_ns) << " ";
    out << l.text;
    if (!l.partial) out << "\n";
    out.flush();
}

// Prints the complete lines of `text`; returns the bytes consumed.
size_t emit_lines(const std::string& text, const cli::Args& args, int64_t since, int64_t until,
                  const std::string& prefix, std::vector<container::LogLine>* tail) {
    size_t pos = 0;
    while (true) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos) break;
        container::LogLine l;
        if (container::parse_log_line(std::string_view(text).substr(pos, nl - pos), l) &&
            (since == 0 || l.time_ns >= since) && (until == 0 || l.time_ns <= until)) {
            if (tail) tail->push_back(l);
            else print_log_line(l, args.flag("timestamps"), prefix);
        }
        pos = nl + 1;
    }
    return pos;
}

// logs of a journald container: its entries in the journal.
void journal_logs(engine::Engine& e, const container::Container& c, const cli::Args& args, int64_t since,
                  int64_t until, long long tail_n, const std::string& prefix) {
    container::JournalReader reader(c.id);
    std::vector<container::LogLine> lines;
    container::LogLine l;
    auto wanted = [&](const container::LogLine& x) {
        return (since == 0 || x.time_ns >= since) && (until == 0 || x.time_ns <= until);
    };
    while (reader.next(l))
        if (wanted(l)) lines.push_back(l);
    size_t start = tail_n >= 0 && lines.size() > static_cast<size_t>(tail_n) ? lines.size() - static_cast<size_t>(tail_n) : 0;
    for (size_t i = start; i < lines.size(); ++i) print_log_line(lines[i], args.flag("timestamps"), prefix);
    if (!args.flag("follow")) return;
    for (;;) {
        bool running = engine::still_running(e, c.id);
        while (reader.next(l))
            if (wanted(l)) print_log_line(l, args.flag("timestamps"), prefix);
        if (!running) return;
        reader.wait(250);
    }
}

int logs_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    int64_t now = timeutil::now_ns();
    int64_t since = args.has("since") ? timeutil::parse_time(args.str("since"), now) : 0;
    int64_t until = args.has("until") ? timeutil::parse_time(args.str("until"), now) : 0;
    long long tail_n = -1;
    if (auto t = args.opt("tail"); t && *t != "all") tail_n = args.integer("tail");
    bool several = args.positionals.size() > 1;
    std::vector<container::Container> cs;
    for (auto& ref : args.positionals) cs.push_back(engine::find_container(e, ref));
    for (auto& c0 : cs) {
        auto c = c0;
        auto paths = container::container_paths(e.paths(), c.id);
        if (c.spec.log_driver == "none" || (c.spec.log_driver.empty() && ctx.config().log_driver == "none"))
            throw Error("container " + c.name + " uses the none log driver: there are no logs to read");
        std::string prefix = several ? c.id.substr(0, 12) + " " : "";
        if ((c.spec.log_driver.empty() ? ctx.config().log_driver : c.spec.log_driver) == "journald") {
            journal_logs(e, c, args, since, until, tail_n, prefix);
            continue;
        }
        std::string text = fs::read_file_if_exists(paths.log()).value_or("");
        size_t consumed;
        if (tail_n >= 0) {
            std::vector<container::LogLine> lines;
            consumed = emit_lines(text, args, since, until, prefix, &lines);
            size_t start = lines.size() > static_cast<size_t>(tail_n) ? lines.size() - static_cast<size_t>(tail_n) : 0;
            for (size_t i = start; i < lines.size(); ++i) print_log_line(lines[i], args.flag("timestamps"), prefix);
        } else {
            consumed = emit_lines(text, args, since, until, prefix, nullptr);
        }
        if (!args.flag("follow")) continue;
        // Follow: read what the monitor appends until the container stops.
        UniqueFd fd(::open(paths.log().c_str(), O_RDONLY | O_CLOEXEC));
        off_t offset = static_cast<off_t>(consumed);
        std::string pending;
        for (;;) {
            bool running = engine::still_running(e, c.id);
            if (!fd) fd = UniqueFd(::open(paths.log().c_str(), O_RDONLY | O_CLOEXEC));
            if (fd) {
                char buf[65536];
                ssize_t n;
                while ((n = ::pread(fd.get(), buf, sizeof buf, offset)) > 0) {
                    offset += n;
                    pending.append(buf, static_cast<size_t>(n));
                }
                pending.erase(0, emit_lines(pending, args, since, until, prefix, nullptr));
            }
            if (!running) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    return 0;
}

int inspect_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    std::string type = args.str("type");
    if (!type.empty() && type != "container" && type != "image" && type != "volume")
        throw Error("invalid --type \"" + type + "\": expected container, image or volume");
    std::vector<Json> out;
    std::string missing;
    for (auto& ref : args.positionals) {
        if (type != "image") {
            try {
                out.push_back(engine::inspect_container(e, engine::find_container(e, ref)));
                continue;
            } catch (const NotFound&) {
            }
        }
        if (type != "container" && type != "volume") {
            if (auto img = e.images().find(ref)) {
                out.push_back(engine::inspect_image(e, *img));
                continue;
            }
        }
        if (type.empty() || type == "volume") {
            try {
                out.push_back(engine::inspect_volume(e, engine::find_volume(e, ref)));
                continue;
            } catch (const NotFound&) {
            }
        }
        missing = ref;
    }
    print_inspect(args.str("format"), out);
    if (!missing.empty()) throw NotFound("no such object: " + missing);
    return 0;
}

int container_inspect_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    std::vector<Json> out;
    std::string missing;
    for (auto& ref : args.positionals) {
        try {
            out.push_back(engine::inspect_container(e, engine::find_container(e, ref)));
        } catch (const NotFound&) {
            missing = ref;
        }
    }
    print_inspect(args.str("format"), out);
    if (!missing.empty()) throw NotFound("no such container: " + missing);
    return 0;
}

// The container's processes: every host process in the init's PID namespace.
std::set<std::string> container_pids(pid_t init) {
    std::set<std::string> out;
    struct stat want;
    if (::stat(("/proc/" + std::to_string(init) + "/ns/pid").c_str(), &want) < 0) return out;
    for (auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (!str::is_hex(name) || name.find_first_not_of("0123456789") != std::string::npos) continue;
        struct stat st;
        if (::stat(("/proc/" + name + "/ns/pid").c_str(), &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev)
            out.insert(name);
    }
    return out;
}

int top_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto c = engine::find_container(e, args.positionals[0]);
    // A paused container's processes are listed too (Docker).
    if (c.state != "running" && c.state != "paused") throw Error("top can only be used on running containers");
    auto pids = container_pids(c.pid);
    if (pids.empty()) throw Error("cannot read the processes of " + c.name + " (are they in another user's namespace?)");
    std::vector<std::string> argv = {"ps"};
    if (args.positionals.size() > 1) argv.insert(argv.end(), args.positionals.begin() + 1, args.positionals.end());
    else argv.push_back("-ef");
    auto res = run_capture(argv);
    if (res.status != 0) throw Error("ps " + str::join(std::vector<std::string>(argv.begin() + 1, argv.end()), " ") + ": " + str::trim(res.err));
    auto lines = str::split(res.out, '\n');
    if (lines.empty()) return 0;
    // Find the PID column from the header, as Docker does.
    std::vector<std::string> header;
    for (auto& w : str::split(lines[0], ' '))
        if (!w.empty()) header.push_back(w);
    size_t col = header.size();
    for (size_t i = 0; i < header.size(); ++i)
        if (header[i] == "PID") col = i;
    if (col == header.size()) throw Error("couldn't find PID field in ps output");
    std::cout << lines[0] << "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
        std::vector<std::string> f;
        for (auto& w : str::split(lines[i], ' '))
            if (!w.empty()) f.push_back(w);
        if (f.size() > col && pids.count(f[col])) std::cout << lines[i] << "\n";
    }
    return 0;
}

int port_cmd(Context& ctx, const cli::Args& args) {
    engine::Engine e(ctx);
    auto c = engine::find_container(e, args.positionals[0]);
    std::string filter = args.positionals.size() > 1 ? args.positionals[1] : "";
    auto lines = net::port_lines(engine::container_ports(e, c), filter);
    // Docker: a named port that is not published is an error.
    if (!filter.empty() && lines.empty())
        throw Error("no public port '" + filter + "' published for " + args.positionals[0]);
    for (auto& l : lines) std::cout << l << "\n";
    return 0;
}

}  // namespace

void register_container_info(cli::Table& t) {
    t.add({.path = "ps",
           .aliases = {"container ls", "container list", "container ps"},
           .usage = "[OPTIONS]",
           .summary = "List containers",
           .description = "Filters: id=PREFIX, name=NAME|GLOB, label=KEY[=VALUE], status=STATUS, exited=CODE, "
                          "ancestor=IMAGE, before=CONTAINER, since=CONTAINER, network=NAME|ID|MODE, "
                          "volume=NAME|DESTINATION.",
           .flags = {{"all", 'a', FlagType::Bool, "Show all containers (default shows just running)"},
                     {"filter", 'f', FlagType::List, "Filter output based on conditions provided", "filter"},
                     {"format", 0, FlagType::String, "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template", "string"},
                     {"last", 'n', FlagType::Int, "Show n last created containers (includes all states)", "int", "-1"},
                     {"latest", 'l', FlagType::Bool, "Show the latest created container (includes all states)"},
                     {"no-trunc", 0, FlagType::Bool, "Don't truncate output"},
                     {"noheading", 0, FlagType::Bool, "Do not print column headings"},
                     {"quiet", 'q', FlagType::Bool, "Only display container IDs"},
                     {"size", 's', FlagType::Bool, "Display total file sizes"}},
           .handler = ps_cmd,
           .max_args = 0,
           .examples = {"skiff ps -a", "skiff ps --filter status=exited -q", "skiff ps --format '{{.Names}}\\t{{.Status}}'"}});
    t.add({.path = "logs",
           .aliases = {"container logs"},
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Fetch the logs of a container",
           .flags = {{"follow", 'f', FlagType::Bool, "Follow log output"},
                     {"since", 0, FlagType::String, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)", "string"},
                     {"tail", 'n', FlagType::String, "Number of lines to show from the end of the logs", "string", "all"},
                     {"timestamps", 't', FlagType::Bool, "Show timestamps"},
                     {"until", 0, FlagType::String, "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)", "string"}},
           .handler = logs_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "inspect",
           .usage = "[OPTIONS] NAME|ID [NAME|ID...]",
           .summary = "Return low-level information on containers or images",
           .flags = {{"format", 'f', FlagType::String, "Format the output using the given Go template", "string"},
                     {"type", 0, FlagType::String, "Return JSON for specified type (container, image, volume)", "string", "",
                      Complete::Fixed, {"container", "image", "volume"}}},
           .handler = inspect_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "container inspect",
           .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
           .summary = "Display detailed information on one or more containers",
           .flags = {{"format", 'f', FlagType::String, "Format the output using the given Go template", "string"}},
           .handler = container_inspect_cmd,
           .min_args = 1,
           .arg_complete = Complete::Container});
    t.add({.path = "top",
           .aliases = {"container top"},
           .usage = "CONTAINER [ps OPTIONS]",
           .summary = "Display the running processes of a container",
           .handler = top_cmd,
           .min_args = 1,
           .flags_before_args_only = true,
           .arg_complete = Complete::Container});
    t.add({.path = "port",
           .aliases = {"container port"},
           .usage = "CONTAINER [PRIVATE_PORT[/PROTO]]",
           .summary = "List port mappings or a specific mapping for the container",
           .handler = port_cmd,
           .min_args = 1,
           .max_args = 2,
           .arg_complete = Complete::Container});
}

}  // namespace skiff::commands
