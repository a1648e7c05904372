// runc's command line for the built-in runtime. Engines (podman, conmon,
// containerd shims) drive runtimes through exactly these words, so the
// flags, outputs and exit codes follow runc.
#include "oci/cli.hpp"

#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "oci/cgroups.hpp"
#include "oci/defaults.hpp"
#include "oci/runtime.hpp"
#include "oci/spec.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

#ifndef SKIFF_VERSION
#define SKIFF_VERSION "dev"
#endif

namespace skiff::oci {

namespace {

// --log and --log-format: errors and warnings also go to a file, as text
// (time="…" level=error msg="…") or as JSON lines podman and conmon read.
struct Log {
    std::string file;
    bool json = false;
    bool debug = false;

    void write(const char* level, const std::string& msg) const {
        if (file.empty()) return;
        std::string t = timeutil::rfc3339_nano(timeutil::now_ns());
        std::string line;
        if (json) {
            line = Json({{"level", level}, {"msg", msg}, {"time", t}}).dump() + "\n";
        } else {
            line = "time=\"" + t + "\" level=" + level + " msg=" + Json(msg).dump() + "\n";
        }
        int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return;
        ssize_t n = ::write(fd, line.data(), line.size());
        (void)n;
        ::close(fd);
    }
    void error(const std::string& msg) const {
        std::fprintf(stderr, "%s\n", msg.c_str());
        write("error", msg);
    }
    void warn(const std::string& msg) const {
        std::fprintf(stderr, "warning: %s\n", msg.c_str());
        write("warning", msg);
    }
};

// A subcommand's words: flags (long, short, with "=value" or a following
// word) and positionals. Like runc's urfave/cli, "-bundle" equals "--bundle".
struct FlagSpec {
    std::string name;   // long name
    char short_name;    // 0: none
    bool takes_value;
    bool repeatable = false;
};

struct Parsed {
    std::map<std::string, std::vector<std::string>> values;
    std::vector<std::string> positionals;

    bool has(const std::string& n) const { return values.count(n) > 0; }
    bool flag(const std::string& n) const {
        auto it = values.find(n);
        if (it == values.end()) return false;
        const std::string& v = it->second.back();
        return v != "false" && v != "0";
    }
    std::string get(const std::string& n, const std::string& dflt = "") const {
        auto it = values.find(n);
        return it == values.end() ? dflt : it->second.back();
    }
    std::vector<std::string> all(const std::string& n) const {
        auto it = values.find(n);
        return it == values.end() ? std::vector<std::string>{} : it->second;
    }
};

// stop_at_positional: flags only before the first positional (exec and ps,
// whose trailing words belong to the command).
Parsed parse_flags(const std::vector<std::string>& words, size_t start, const std::vector<FlagSpec>& specs,
                   const std::string& cmd, bool stop_at_positional) {
    Parsed p;
    bool flags_done = false;
    for (size_t i = start; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (flags_done || w.size() < 2 || w[0] != '-' || w == "-") {
            p.positionals.push_back(w);
            if (stop_at_positional) flags_done = true;
            continue;
        }
        if (w == "--") {
            flags_done = true;
            continue;
        }
        std::string name = w.substr(w[1] == '-' ? 2 : 1);
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const FlagSpec* f = nullptr;
        for (auto& s : specs)
            if (s.name == name || (name.size() == 1 && s.short_name == name[0])) f = &s;
        if (!f) throw Error(cmd + ": flag provided but not defined: -" + name);
        if (f->takes_value && !value) {
            if (i + 1 >= words.size()) throw Error(cmd + ": flag needs an argument: -" + name);
            value = words[++i];
        }
        p.values[f->name].push_back(value.value_or("true"));
    }
    return p;
}

std::string need_id(const Parsed& p, const std::string& cmd) {
    if (p.positionals.empty()) throw Error(cmd + ": requires a container id");
    return p.positionals[0];
}

void exact_args(const Parsed& p, const std::string& cmd, size_t n) {
    if (p.positionals.size() != n)
        throw Error(cmd + ": expected " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", got " +
                    std::to_string(p.positionals.size()));
}

int to_int(const std::string& s, const std::string& what) {
    try {
        size_t pos;
        int v = std::stoi(s, &pos);
        if (pos != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw Error("invalid " + what + " \"" + s + "\"");
    }
}

int parse_signal(const std::string& s) {
    static const std::map<std::string, int> names = {
        {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
        {"POLL", SIGPOLL}, {"PWR", SIGPWR},     {"SYS", SIGSYS}};
    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
        int n = to_int(s, "signal");
        if (n <= 0 || n >= NSIG) throw Error("invalid signal \"" + s + "\"");
        return n;
    }
    std::string n = str::upper(s);
    if (n.rfind("SIG", 0) == 0) n = n.substr(3);
    auto it = names.find(n);
    if (it == names.end()) throw Error("unknown signal \"" + s + "\"");
    return it->second;
}

const std::vector<FlagSpec> kCreateFlags = {
    {"bundle", 'b', true},         {"console-socket", 0, true}, {"pid-file", 0, true},
    {"no-pivot", 0, false},        {"no-new-keyring", 0, false}, {"preserve-fds", 0, true},
    {"notify-socket", 0, true},
};

CreateOptions create_options(const Parsed& p) {
    CreateOptions o;
    o.bundle = p.get("bundle", ".");
    o.console_socket = p.get("console-socket");
    o.pid_file = p.get("pid-file");
    if (!o.pid_file.empty() && o.pid_file[0] != '/') {
        char cwd[4096];
        if (::getcwd(cwd, sizeof(cwd))) o.pid_file = std::string(cwd) + "/" + o.pid_file;
    }
    o.no_pivot = p.flag("no-pivot");
    o.no_new_keyring = p.flag("no-new-keyring");
    if (p.has("preserve-fds")) o.preserve_fds = to_int(p.get("preserve-fds"), "--preserve-fds");
    return o;
}

int cmd_create(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, kCreateFlags, "create", false);
    exact_args(p, "create", 1);
    rt.create(p.positionals[0], create_options(p));
    return 0;
}

int cmd_run(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    auto flags = kCreateFlags;
    flags.push_back({"detach", 'd', false});
    flags.push_back({"keep", 0, false});
    Parsed p = parse_flags(w, i, flags, "run", false);
    exact_args(p, "run", 1);
    std::string id = p.positionals[0];
    CreateOptions o = create_options(p);
    bool detach = p.flag("detach");
    if (detach && o.console_socket.empty()) {
        // Like runc: a detached terminal needs someone to hand the pty to.
        Spec spec = load_spec(o.bundle);
        if (spec.process && spec.process->terminal)
            throw Error("run --detach with process.terminal needs --console-socket");
    }
    Started s = rt.run(id, o);
    if (detach) return 0;
    int status = Runtime::wait(s);
    if (!p.flag("keep")) rt.remove(id, true);
    return status;
}

int cmd_start(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {}, "start", false);
    exact_args(p, "start", 1);
    rt.start(p.positionals[0]);
    return 0;
}

int cmd_state(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {}, "state", false);
    exact_args(p, "state", 1);
    std::printf("%s\n", state_json(rt.state(p.positionals[0])).dump(2).c_str());
    return 0;
}

int cmd_kill(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {{"all", 'a', false}, {"pid", 'p', true}}, "kill", false);
    if (p.positionals.empty() || p.positionals.size() > 2) throw Error("kill: usage: kill [--all] <container-id> [signal]");
    int sig = p.positionals.size() == 2 ? parse_signal(p.positionals[1]) : SIGTERM;
    rt.kill(p.positionals[0], sig, p.flag("all"));
    return 0;
}

int cmd_delete(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {{"force", 'f', false}}, "delete", false);
    if (p.positionals.empty()) throw Error("delete: requires a container id");
    int rc = 0;
    for (auto& id : p.positionals) {
        try {
            rt.remove(id, p.flag("force"));
        } catch (const NotFound&) {
            // runc: deleting a container that is already gone is fine with --force.
            if (!p.flag("force")) throw;
        }
    }
    return rc;
}

int cmd_list(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {{"format", 'f', true}, {"quiet", 'q', false}}, "list", false);
    auto all = rt.list();
    std::string fmt = p.get("format", "table");
    if (fmt == "json") {
        Json a = Json::array();
        for (auto& s : all) a.push_back(state_json(s));
        std::printf("%s\n", a.dump().c_str());
    } else if (p.flag("quiet")) {
        for (auto& s : all) std::printf("%s\n", s.id.c_str());
    } else if (fmt == "table") {
        std::printf("%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
        for (auto& s : all)
            std::printf("%-12s %-8d %-10s %-40s %-31s %s\n", s.id.c_str(), s.status == Status::stopped ? 0 : s.pid,
                        status_name(s.status), s.bundle.c_str(), s.created.c_str(), s.owner.c_str());
    } else {
        throw Error("list: invalid --format \"" + fmt + "\": use table or json");
    }
    return 0;
}

int cmd_ps(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {{"format", 'f', true}}, "ps", true);
    std::string id = need_id(p, "ps");
    auto pids = rt.pids(id);
    std::string fmt = p.get("format", "table");
    if (fmt == "json") {
        std::printf("%s\n", Json(pids).dump().c_str());
        return 0;
    }
    if (fmt != "table") throw Error("ps: invalid --format \"" + fmt + "\": use table or json");
    std::vector<std::string> argv = {"ps"};
    if (p.positionals.size() > 1) argv.insert(argv.end(), p.positionals.begin() + 1, p.positionals.end());
    else argv.push_back("-ef");
    auto r = run_capture(argv);
    if (r.status != 0) throw Error("ps: " + str::trim(r.err));
    auto lines = str::split(r.out, '\n');
    if (lines.empty()) return 0;
    // The PID column of ps's own header.
    std::vector<std::string> head;
    for (auto& f : str::split(lines[0], ' '))
        if (!f.empty()) head.push_back(f);
    auto col = std::find(head.begin(), head.end(), "PID");
    if (col == head.end()) throw Error("ps: no PID column in the output of ps");
    size_t idx = static_cast<size_t>(col - head.begin());
    std::set<pid_t> want(pids.begin(), pids.end());
    std::printf("%s\n", lines[0].c_str());
    for (size_t k = 1; k < lines.size(); ++k) {
        std::vector<std::string> f;
        for (auto& x : str::split(lines[k], ' '))
            if (!x.empty()) f.push_back(x);
        if (f.size() > idx && want.count(static_cast<pid_t>(std::atol(f[idx].c_str()))))
            std::printf("%s\n", lines[k].c_str());
    }
    return 0;
}

Process exec_process(Runtime& rt, const std::string& id, const Parsed& p) {
    if (p.has("process")) {
        std::string file = p.get("process");
        Json j;
        try {
            j = Json::parse(fs::read_file(file));
        } catch (const Json::parse_error& e) {
            throw Error(file + ": invalid JSON: " + e.what());
        }
        try {
            return parse_process(j, "process");
        } catch (const Error& e) {
            std::string m = e.what();
            if (m.rfind("config.json: ", 0) == 0) m = file + ": " + m.substr(13);
            throw Error(m);
        }
    }
    if (p.positionals.size() < 2) throw Error("exec: requires a command (or --process)");
    Spec spec = rt.config(id);
    Process proc = spec.process ? *spec.process : Process{};
    proc.args.assign(p.positionals.begin() + 1, p.positionals.end());
    proc.terminal = p.flag("tty");
    proc.console_size.reset();
    if (p.has("cwd")) proc.cwd = p.get("cwd");
    for (auto& e : p.all("env")) {
        auto key = e.substr(0, e.find('='));
        if (e.find('=') == std::string::npos) throw Error("exec: --env \"" + e + "\": expected KEY=VALUE");
        proc.env.erase(std::remove_if(proc.env.begin(), proc.env.end(),
                                      [&](const std::string& x) { return x.rfind(key + "=", 0) == 0; }),
                       proc.env.end());
        proc.env.push_back(e);
    }
    if (p.has("user")) {
        auto [u, g] = str::split_once(p.get("user"), ':');
        proc.user.uid = static_cast<uint32_t>(to_int(u, "--user uid"));
        if (!g.empty()) proc.user.gid = static_cast<uint32_t>(to_int(g, "--user gid"));
    }
    for (auto& g : p.all("additional-gids")) proc.user.additional_gids.push_back(static_cast<gid_t>(to_int(g, "gid")));
    if (p.flag("no-new-privs")) proc.no_new_privileges = true;
    if (p.has("apparmor")) proc.apparmor_profile = p.get("apparmor");
    if (p.has("process-label")) proc.selinux_label = p.get("process-label");
    for (auto& c : p.all("cap")) {
        int n = cap_from_name(c);
        if (n < 0) throw Error("exec: unknown capability \"" + c + "\"");
        if (!proc.capabilities) proc.capabilities.emplace();
        for (auto* set : {&proc.capabilities->bounding, &proc.capabilities->effective, &proc.capabilities->permitted,
                          &proc.capabilities->inheritable, &proc.capabilities->ambient})
            if (std::find(set->begin(), set->end(), n) == set->end()) set->push_back(n);
    }
    return proc;
}

int cmd_exec(Runtime& rt, const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i,
                           {{"console-socket", 0, true},
                            {"cwd", 0, true},
                            {"env", 'e', true, true},
                            {"tty", 't', false},
                            {"user", 'u', true},
                            {"additional-gids", 'g', true, true},
                            {"process", 'p', true},
                            {"detach", 'd', false},
                            {"pid-file", 0, true},
                            {"process-label", 0, true},
                            {"apparmor", 0, true},
                            {"no-new-privs", 0, false},
                            {"cap", 'c', true, true},
                            {"preserve-fds", 0, true},
                            {"ignore-paused", 0, false},
                            {"cgroup", 0, true}},
                           "exec", true);
    std::string id = need_id(p, "exec");
    Process proc = exec_process(rt, id, p);
    ExecOptions o;
    o.console_socket = p.get("console-socket");
    o.pid_file = p.get("pid-file");
    if (p.has("preserve-fds")) o.preserve_fds = to_int(p.get("preserve-fds"), "--preserve-fds");
    if (p.has("cgroup")) throw Error("exec: --cgroup is not supported by this runtime");
    bool detach = p.flag("detach");
    if (detach && proc.terminal && o.console_socket.empty())
        throw Error("exec: --detach with a terminal needs --console-socket");
    Started s = rt.exec(id, proc, o);
    if (detach) return 0;
    return Runtime::wait(s);
}

int cmd_spec(const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {{"bundle", 'b', true}, {"rootless", 0, false}}, "spec", false);
    exact_args(p, "spec", 0);
    std::string path = fs::join(p.get("bundle", "."), "config.json");
    if (fs::exists(path)) throw Error("File " + path + " exists. Remove it first");
    fs::write_atomic(path, default_spec(p.flag("rootless")).dump(1, '\t') + "\n", 0644);
    return 0;
}

int cmd_features(const std::vector<std::string>& w, size_t i) {
    Parsed p = parse_flags(w, i, {}, "features", false);
    exact_args(p, "features", 0);
    const scmp_version* v = seccomp_version();
    Json mount_opts = Json::array();
    for (const char* o : {"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
                          "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
                          "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
                          "ratime", "rbind", "rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime",
                          "rnodev", "rnodiratime", "rnoexec", "rnosuid", "rnosymfollow", "ro", "rprivate",
                          "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow",
                          "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "symfollow",
                          "sync", "tmpcopyup", "unbindable"})
        mount_opts.push_back(o);
    std::string cg = cgroup_summary();
    Json features = {
        {"ociVersionMin", kOciVersionMin},
        {"ociVersionMax", kOciVersionMax},
        {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
        {"mountOptions", mount_opts},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
          {"capabilities", all_cap_names()},
          {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", false}}},
          {"seccomp",
           {{"enabled", true},
            {"actions",
             {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
              "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
            {"operators",
             {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
              "SCMP_CMP_NE"}},
            {"archs",
             {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
              "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
              "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32",
              "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}},
            {"knownFlags",
             {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
              "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}},
            {"supportedFlags",
             {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}}}},
          {"apparmor", {{"enabled", true}}},
          {"selinux", {{"enabled", true}}},
          {"intelRdt", {{"enabled", false}}},
          {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
        {"annotations",
         {{"io.github.seccomp.libseccomp.version",
           std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro)},
          {"run.skiff.runtime.version", SKIFF_VERSION},
          {"run.skiff.runtime.cgroups", cg}}},
    };
    std::printf("%s\n", features.dump(4).c_str());
    return 0;
}

void print_usage() {
    std::printf(
        "Usage: skiff-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS\n"
        "\n"
        "The built-in OCI runtime of skiff, with runc's command line.\n"
        "\n"
        "Commands:\n"
        "  create    create a container from a bundle (it waits for start)\n"
        "  start     start the process of a created container\n"
        "  run       create and start a container (and wait for it)\n"
        "  state     print the state of a container as JSON\n"
        "  kill      send a signal to the container's init (--all: to every process)\n"
        "  delete    delete a stopped container (--force: any container)\n"
        "  exec      run a new process in a container\n"
        "  ps        list the processes of a container\n"
        "  list      list containers\n"
        "  features  print the features of this runtime as JSON\n"
        "  spec      write a default config.json (--rootless for an unprivileged user)\n"
        "\n"
        "Global options:\n"
        "  --root DIR            state directory (default %s)\n"
        "  --log FILE            also write errors and warnings to FILE\n"
        "  --log-format FORMAT   text or json\n"
        "  --debug               debug output\n"
        "  --systemd-cgroup      use systemd for cgroups (not supported: an error)\n"
        "  --rootless VALUE      accepted for compatibility (auto-detected)\n",
        default_state_root().c_str());
}

}  // namespace

int cli_main(const std::vector<std::string>& args) {
    Log log;
    try {
        std::string root;
        size_t i = 0;
        // Global flags, up to the subcommand.
        for (; i < args.size(); ++i) {
            const std::string& w = args[i];
            if (w.empty() || w[0] != '-') break;
            std::string name = w.substr(w.rfind("--", 0) == 0 ? 2 : 1);
            std::optional<std::string> value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            auto take = [&]() -> std::string {
                if (value) return *value;
                if (i + 1 >= args.size()) throw Error("flag needs an argument: --" + name);
                return args[++i];
            };
            if (name == "root") root = take();
            else if (name == "log") log.file = take();
            else if (name == "log-format") {
                std::string f = take();
                if (f != "text" && f != "json") throw Error("invalid --log-format \"" + f + "\": use text or json");
                log.json = f == "json";
            } else if (name == "debug") log.debug = true;
            else if (name == "systemd-cgroup")
                throw Error("--systemd-cgroup: the systemd cgroup driver is not supported by this runtime "
                            "(use the cgroupfs manager)");
            else if (name == "rootless") {
                // runc takes true|false|auto; accept an attached value only,
                // or a following word that is one of those.
                if (!value && i + 1 < args.size() &&
                    (args[i + 1] == "true" || args[i + 1] == "false" || args[i + 1] == "auto"))
                    ++i;
            } else if (name == "criu") take();
            else if (name == "help" || name == "h") {
                print_usage();
                return 0;
            } else if (name == "version" || name == "v") {
                const scmp_version* v = seccomp_version();
                std::printf("skiff-runtime version %s\nspec: %s\nlibseccomp: %u.%u.%u\n", SKIFF_VERSION,
                            kOciVersionMax, v->major, v->minor, v->micro);
                return 0;
            } else {
                throw Error("flag provided but not defined: -" + name);
            }
        }
        if (i >= args.size()) {
            print_usage();
            return 0;
        }
        std::string cmd = args[i++];
        if (cmd == "spec") return cmd_spec(args, i);
        if (cmd == "features") return cmd_features(args, i);
        if (cmd == "help") {
            print_usage();
            return 0;
        }
        RuntimeOptions ro;
        ro.root = root;
        ro.warn = [&log](const std::string& m) { log.warn(m); };
        Runtime rt(ro);
        static const std::map<std::string, std::function<int(Runtime&, const std::vector<std::string>&, size_t)>>
            cmds = {{"create", cmd_create}, {"run", cmd_run},     {"start", cmd_start}, {"state", cmd_state},
                    {"kill", cmd_kill},     {"delete", cmd_delete}, {"exec", cmd_exec}, {"ps", cmd_ps},
                    {"list", cmd_list}};
        auto it = cmds.find(cmd);
        if (it == cmds.end()) throw Error("unknown command \"" + cmd + "\" (see --help)");
        int64_t t0 = timeutil::now_ns();
        int rc = it->second(rt, args, i);
        if (log.debug) {
            std::string m = cmd + " finished in " + std::to_string((timeutil::now_ns() - t0) / 1000) + " us, exit " +
                            std::to_string(rc) + " (state root " + rt.root() + ")";
            std::fprintf(stderr, "debug: %s\n", m.c_str());
            log.write("debug", m);
        }
        return rc;
    } catch (const std::exception& e) {
        log.error(e.what());
        return 1;
    }
}

}  // namespace skiff::oci
