#include "layers/userns.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "layers/fsops.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/process.hpp"

namespace skiff::layers {

namespace {

bool parse_u32(std::string_view s, uint32_t* out) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
}

std::string user_name(uid_t uid) {
    struct passwd pw, *res = nullptr;
    char buf[4096];
    if (::getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) return res->pw_name;
    return std::to_string(uid);
}

void default_warn(const std::string& msg) {
    // Once per process: a command may enter several namespaces.
    static bool warned = false;
    if (!warned) std::fprintf(stderr, "WARNING: %s\n", msg.c_str());
    warned = true;
}

void write_proc(pid_t pid, const char* file, const std::string& content) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        throw_errno("write " + path);
}

// newuidmap PID 0 1000 1 1 100000 65536 …
void run_map_helper(const std::string& helper, pid_t pid, const std::vector<IdMapEntry>& entries) {
    std::vector<std::string> argv{helper, std::to_string(pid)};
    for (const auto& e : entries) {
        argv.push_back(std::to_string(e.container));
        argv.push_back(std::to_string(e.host));
        argv.push_back(std::to_string(e.size));
    }
    ProcessResult r = run_capture(argv);
    if (r.status != 0) {
        std::string err = r.err.empty() ? r.out : r.err;
        while (!err.empty() && err.back() == '\n') err.pop_back();
        throw Error(helper + " failed (exit " + std::to_string(r.status) + "): " + err);
    }
}

void apply_mapping(pid_t pid, const IdMapping& m) {
    bool helpers = !m.single && fs::find_executable("newuidmap") && fs::find_executable("newgidmap");
    if (!m.single && !helpers)
        throw Error("newuidmap/newgidmap not found: install the uidmap package (shadow-utils)");
    if (helpers) {
        run_map_helper("newuidmap", pid, m.uids);
        run_map_helper("newgidmap", pid, m.gids);
        return;
    }
    // One id each: the kernel lets us write it ourselves, once setgroups
    // is denied (we could otherwise drop a group that restricts us).
    write_proc(pid, "setgroups", "deny");
    write_proc(pid, "uid_map", format_id_map(m.uids));
    write_proc(pid, "gid_map", format_id_map(m.gids));
}

std::string unshare_hint(int err) {
    if (err == EPERM || err == ENOSPC || err == EACCES)
        return " (unprivileged user namespaces may be disabled: check sysctl user.max_user_namespaces, "
               "kernel.unprivileged_userns_clone, or an AppArmor restriction)";
    return "";
}

volatile sig_atomic_t g_forward_pid = 0;

void forward_signal(int sig) {
    if (g_forward_pid > 0) ::kill(g_forward_pid, sig);
}

// While waiting for a foreground command: ^C and ^\ go to it (same
// terminal), termination requests are passed on, and we stay alive to
// report its status.
class SignalRelay {
public:
    explicit SignalRelay(pid_t child) {
        g_forward_pid = child;
        struct sigaction ign{}, fwd{};
        ign.sa_handler = SIG_IGN;
        fwd.sa_handler = forward_signal;
        ::sigaction(SIGINT, &ign, &old_int_);
        ::sigaction(SIGQUIT, &ign, &old_quit_);
        ::sigaction(SIGTERM, &fwd, &old_term_);
        ::sigaction(SIGHUP, &fwd, &old_hup_);
    }
    ~SignalRelay() {
        ::sigaction(SIGINT, &old_int_, nullptr);
        ::sigaction(SIGQUIT, &old_quit_, nullptr);
        ::sigaction(SIGTERM, &old_term_, nullptr);
        ::sigaction(SIGHUP, &old_hup_, nullptr);
        g_forward_pid = 0;
    }
    SignalRelay(const SignalRelay&) = delete;
    SignalRelay& operator=(const SignalRelay&) = delete;

private:
    struct sigaction old_int_{}, old_quit_{}, old_term_{}, old_hup_{};
};

// The child's half: enter the namespaces, wait for the map, run fn.
[[noreturn]] void child_main(const std::function<int()>& fn, bool need_userns, int report_fd, int go_fd,
                             const SpawnOptions& opts, pid_t parent) {
    int err = 0;
    if (opts.die_with_parent && (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != parent))
        ::_exit(kExitEngine);  // the parent is already gone
    if (::unshare(need_userns ? CLONE_NEWUSER | CLONE_NEWNS : CLONE_NEWNS) < 0) err = errno;
    if (::write(report_fd, &err, sizeof err) != sizeof err || err) ::_exit(kExitEngine);
    ::close(report_fd);
    char c;
    // The parent says go once the map is written; EOF means it failed.
    if (::read(go_fd, &c, 1) != 1) ::_exit(kExitEngine);
    if (need_userns && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)) {
        std::fprintf(stderr, "Error: become root in the user namespace: %s\n", std::strerror(errno));
        ::_exit(kExitEngine);
    }
    ::close(go_fd);
    // Our mounts must never propagate back into the host's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0) {
        std::fprintf(stderr, "Error: make mounts private: %s\n", std::strerror(errno));
        ::_exit(kExitEngine);
    }
    ::setenv(kInUsernsEnv, "1", 1);
    int rc;
    try {
        rc = fn();
    } catch (const Error& e) {
        std::fprintf(stderr, "Error: %s\n", e.what());
        rc = e.exit_code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "Error: %s\n", e.what());
        rc = kExitEngine;
    }
    std::fflush(nullptr);
    ::_exit(rc);
}

}  // namespace

std::vector<SubIdRange> parse_subids(std::string_view content, std::string_view user, uint32_t id) {
    std::vector<SubIdRange> out;
    std::string id_str = std::to_string(id);
    while (!content.empty()) {
        size_t nl = content.find('\n');
        std::string_view line = content.substr(0, nl);
        content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        size_t c1 = line.find(':');
        size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        std::string_view who = line.substr(0, c1);
        if (who != user && who != id_str) continue;
        SubIdRange r;
        if (!parse_u32(line.substr(c1 + 1, c2 - c1 - 1), &r.start) || !parse_u32(line.substr(c2 + 1), &r.count))
            continue;
        if (r.count > 0) out.push_back(r);
    }
    return out;
}

std::vector<SubIdRange> read_subids(const std::string& path, std::string_view user, uint32_t id) {
    auto content = fs::read_file_if_exists(path);
    return content ? parse_subids(*content, user, id) : std::vector<SubIdRange>{};
}

IdMapping build_mapping(uint32_t uid, uint32_t gid, const std::vector<SubIdRange>& subuids,
                        const std::vector<SubIdRange>& subgids) {
    auto build = [](uint32_t own, const std::vector<SubIdRange>& ranges) {
        std::vector<IdMapEntry> out{{0, own, 1}};
        uint32_t next = 1;
        for (const auto& r : ranges) {
            out.push_back({next, r.start, r.count});
            next += r.count;
        }
        return out;
    };
    IdMapping m;
    m.uids = build(uid, subuids);
    m.gids = build(gid, subgids);
    m.single = subuids.empty() || subgids.empty();
    if (m.single) {
        m.uids.resize(1);
        m.gids.resize(1);
    }
    return m;
}

std::string format_id_map(const std::vector<IdMapEntry>& entries) {
    std::string out;
    for (const auto& e : entries)
        out += std::to_string(e.container) + " " + std::to_string(e.host) + " " + std::to_string(e.size) + "\n";
    return out;
}

IdMapping current_user_mapping(const UsernsOptions& opts) {
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    std::string name = user_name(uid);
    auto subuids = read_subids(opts.subuid_file, name, uid);
    auto subgids = read_subids(opts.subgid_file, name, uid);
    IdMapping m = build_mapping(uid, gid, subuids, subgids);
    if (m.single) {
        std::string how = "no subordinate " + std::string(subuids.empty() ? "UIDs" : "GIDs") + " for user " +
                          name + " in " + (subuids.empty() ? opts.subuid_file : opts.subgid_file) +
                          "; add a range with: usermod --add-subuids 100000-165535 --add-subgids "
                          "100000-165535 " + name;
        if (!opts.allow_single) throw Error(how);
        (opts.warn ? opts.warn : default_warn)(
            how + " (until then only your own UID/GID is mapped: images with other owners will not work)");
    }
    return m;
}

bool in_user_namespace() { return host::in_user_namespace(); }

bool single_id_mapping() {
    auto map = fs::read_file_if_exists("/proc/self/uid_map");
    if (!map) return false;
    // "0 1000 1" alone: one line whose size is 1.
    uint64_t total = 0;
    size_t lines = 0;
    std::string_view rest = *map;
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        size_t end = line.find_last_not_of(" \t");
        if (end == std::string_view::npos) continue;
        size_t start = line.find_last_of(" \t", end);
        uint32_t size = 0;
        if (start != std::string_view::npos && parse_u32(line.substr(start + 1, end - start), &size)) total += size;
        ++lines;
    }
    return lines == 1 && total == 1;
}

bool needs_user_namespace() { return ::geteuid() != 0 && !std::getenv(kInUsernsEnv); }

IdMapping caller_mapping() { return ::geteuid() == 0 ? IdMapping{} : current_user_mapping(); }

Child spawn_in_userns(const std::function<int()>& fn, const IdMapping& mapping, const SpawnOptions& opts) {
    bool need_userns = ::geteuid() != 0;
    int report[2], go[2];
    if (::pipe2(report, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd report_r(report[0]), report_w(report[1]);
    if (::pipe2(go, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd go_r(go[0]), go_w(go[1]);
    std::fflush(nullptr);  // no buffered output printed twice

    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        report_r.reset();
        go_w.reset();
        child_main(fn, need_userns, report_w.get(), go_r.get(), opts, parent);
    }
    Child child(pid);  // killed and reaped if we throw below
    report_w.reset();
    go_r.reset();
    int err = 0;
    ssize_t n = ::read(report_r.get(), &err, sizeof err);
    if (n != sizeof err) throw Error("create user namespace: the child process died");
    if (err) {
        child.wait();
        throw Error(std::string(need_userns ? "create user namespace: " : "create mount namespace: ") +
                    std::strerror(err) + unshare_hint(err));
    }
    if (need_userns) apply_mapping(pid, mapping);
    // The child waits for this even as root, so it never runs before we
    // return; it cannot have exited yet, so no SIGPIPE.
    if (::write(go_w.get(), "1", 1) != 1) throw_errno("start the namespace child");
    return child;
}

int wait_foreground(Child& child) {
    SignalRelay relay(child.pid());
    return child.wait();
}

int run_in_userns(const std::function<int()>& fn, const IdMapping& mapping) {
    Child child = spawn_in_userns(fn, mapping);
    return wait_foreground(child);
}

int run_in_userns(const std::function<int()>& fn) { return run_in_userns(fn, caller_mapping()); }

namespace {

[[noreturn]] void exec_or_die(const std::string& path, const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The parent ignores ^C while it waits; the command must not.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGQUIT, SIG_DFL);
    if (path.find('/') != std::string::npos)
        ::execv(path.c_str(), args.data());
    else
        ::execvp(path.c_str(), args.data());
    int err = errno;
    std::fprintf(stderr, "Error: exec %s: %s\n", path.c_str(), std::strerror(err));
    std::fflush(stderr);
    ::_exit(err == ENOENT ? kExitNotFound : kExitCannotInvoke);
}

}  // namespace

int unshare_exec(std::vector<std::string> argv) {
    if (argv.empty()) {
        const char* shell = std::getenv("SHELL");
        argv.push_back(shell && *shell ? shell : "/bin/sh");
    }
    auto run = [&argv]() -> int { exec_or_die(argv[0], argv); };
    if (::geteuid() == 0 && !in_user_namespace()) {
        // Real root owns every file already: no namespace to enter.
        std::fflush(nullptr);
        pid_t pid = ::fork();
        if (pid < 0) throw_errno("fork");
        if (pid == 0) {
            ::setenv(kInUsernsEnv, "1", 1);
            run();
        }
        Child child(pid);
        SignalRelay relay(pid);
        return child.wait();
    }
    return run_in_userns(run);
}

int reexec_in_userns(const std::vector<std::string>& argv) {
    // /proc/self/exe in the child is still this very binary; argv[0] stays
    // as typed so that name-based dispatch (skiff-runtime) keeps working.
    SpawnOptions o;
    o.die_with_parent = true;
    Child child = spawn_in_userns([&argv]() -> int { exec_or_die("/proc/self/exe", argv); }, caller_mapping(), o);
    return wait_foreground(child);
}

}  // namespace skiff::layers
