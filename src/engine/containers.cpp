#include "engine/containers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "container/bundle.hpp"
#include "container/journald.hpp"
#include "container/monitor.hpp"
#include "engine/network.hpp"
#include "net/private_net.hpp"
#include "engine/container_storage.hpp"
#include "engine/create_checks.hpp"
#include "engine/join.hpp"
#include "engine/network_attach.hpp"
#include "engine/pause.hpp"
#include "engine/userns.hpp"
#include "engine/volumes.hpp"
#include "image/layer_import.hpp"
#include "layers/fsops.hpp"
#include "oci/runtime.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/file_lock.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"
#include "util/unixsock.hpp"
#include "util/validate.hpp"

namespace skiff::engine {

using container::Container;

namespace {

container::Records records(Engine& e) { return container::Records(e.db()); }

container::ContainerPaths cpaths(Engine& e, const std::string& id) { return container::container_paths(e.paths(), id); }

// Alive and not a zombie: a monitor orphaned to a PID 1 that does not reap
// stays a zombie, which kill(0) would still report.
bool alive(pid_t pid) {
    if (pid <= 0 || (::kill(pid, 0) < 0 && errno != EPERM)) return false;
    auto stat = fs::read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return false;
    auto close = stat->rfind(')');
    return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

std::optional<int> read_exit_file(const std::string& path) {
    auto text = fs::read_file_if_exists(path);
    if (!text || str::trim(*text).empty()) return std::nullopt;
    try {
        return std::stoi(str::trim(*text));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// A container's monitor and init start before (or as) the record says it
// started; a process under a recorded pid that started later is another
// one that reuses the pid, and is never ours to trust or to kill.
bool alive_since(pid_t pid, int64_t started_at) {
    if (!alive(pid)) return false;
    auto start = process_start_ns(pid);
    // The computed start is early by the boot time's lost fraction, never
    // late; the slack covers an init created just after its recorded start.
    constexpr int64_t kSlack = 1'000'000'000LL;
    return start && (started_at <= 0 || *start <= started_at + kSlack);
}

// Kills a leftover container init whose monitor is gone. The process may
// run as a subordinate ID: join its user namespace (ours) to signal it.
void kill_orphan(const Container& c) {
    pid_t pid = c.pid;
    if (pid <= 0 || !alive_since(pid, c.started_at)) return;
    if (::kill(pid, SIGKILL) == 0) return;
    pid_t child = ::fork();
    if (child == 0) {
        int fd = ::open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && ::setns(fd, CLONE_NEWUSER) == 0) ::kill(pid, SIGKILL);
        _exit(0);
    }
    if (child > 0) ::waitpid(child, nullptr, 0);
}

std::string first_line_command(const Container& c, const Json& image_config) {
    std::vector<std::string> argv;
    try {
        argv = container::container_argv(c.spec, image_config);
    } catch (const Error&) {
    }
    return str::join(argv, " ");
}

// Starting and removing a container exclude each other (and themselves):
// `rm -af` must not empty a container that `run` is starting, nor race the
// monitor of a --rm container that removes it as it exits.
FileLock lock_container(Engine& e, const std::string& id) {
    auto p = cpaths(e, id);
    fs::make_dirs(fs::dirname(p.lock_file()), 0700);
    return FileLock(p.lock_file());
}

Json image_config_of(Engine& e, const Container& c) {
    if (c.image_id.empty()) return Json::object();
    auto img = e.images().get_by_id(c.image_id);
    if (!img) return Json::object();
    return img->config.value("config", Json::object());
}

UniqueFd connect_monitor(Engine& e, const Container& c) {
    return unixsock::connect_to(cpaths(e, c.id).attach_socket());
}

// Reads "exit N" (or EOF) from a monitor connection, up to timeout_ms (-1: forever).
std::optional<int> await_exit(int sock, int timeout_ms) {
    unixsock::LineReader lines;
    int64_t deadline = timeout_ms < 0 ? -1 : timeutil::now_ns() / 1000000 + timeout_ms;
    for (;;) {
        int wait = -1;
        if (deadline >= 0) {
            wait = static_cast<int>(deadline - timeutil::now_ns() / 1000000);
            if (wait <= 0) return std::nullopt;
        }
        pollfd p{sock, POLLIN, 0};
        int n = ::poll(&p, 1, wait);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        if (!lines.fill(sock)) return -1;  // the monitor went away
        std::string line;
        while (lines.next(line))
            if (line.rfind("exit ", 0) == 0) return std::atoi(line.c_str() + 5);
    }
}

}  // namespace

int parse_signal(const std::string& raw) { return validate::signal(raw); }

Container create_container(Engine& e, container::ContainerSpec spec, const image::Image& img, const std::string& name) {
    Container c;
    c.id = state::random_id();
    c.name = name;
    c.image_id = img.id;
    c.image_name = spec.image_ref;
    c.created = timeutil::now_ns();
    c.spec = std::move(spec);
    resolve_shared_namespaces(e, c.spec);
    if (!c.spec.cidfile.empty() && fs::exists(c.spec.cidfile))
        throw Error("container ID file found, make sure the other container isn't running or delete " + c.spec.cidfile);
    if (!name.empty()) {
        static const std::string allowed =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
        if (!std::isalnum(static_cast<unsigned char>(name[0])) || name.find_first_not_of(allowed) != std::string::npos)
            throw Error("invalid container name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }
    check_image_users(e, c.spec, img);
    auto volumes = plan_container_volumes(e, c.spec, img.config.value("config", Json::object()));
    use_default_network(e, c.spec);
    check_requested_networks(e, c.spec);
    FileLock lock = lock_container(e, c.id);
    // The record first: the name is claimed atomically by the database.
    records(e).insert(c, !name.empty());
    auto p = cpaths(e, c.id);
    try {
        attach_requested_networks(e, c);
        create_planned_volumes(e, volumes);
        fs::make_dirs(p.userdata, 0700);
        fs::make_dirs(p.rundir, 0700);
        if (!c.spec.cidfile.empty()) fs::write_atomic(c.spec.cidfile, c.id);
    } catch (...) {
        records(e).remove(c.id);
        remove_container_volumes(e, c);
        throw;
    }
    return c;
}

Session start_container(Engine& e, const Container& c0, const AttachFds& attach) {
    FileLock lock = lock_container(e, c0.id);
    auto current = records(e).get(c0.id);
    if (!current) {
        lock.release_and_remove();  // no one else needs it any more
        throw NotFound("no such container: " + c0.name + " (removed before it started)");
    }
    const Container c = refresh(e, *current);
    if (c.running()) throw Error("container " + c.name + " is already running");
    auto img = e.images().get_by_id(c.image_id);
    if (!img) throw Error("image " + c.image_id.substr(0, 12) + " of container " + c.name + " is gone");
    container::MonitorConfig cfg;
    cfg.container = c;
    cfg.paths = cpaths(e, c.id);
    cfg.database = e.paths().database();
    cfg.runtime_root = e.paths().runtime_state_dir();
    const auto& conf = e.ctx().config();
    cfg.runtime = conf.runtime.empty() ? "builtin" : conf.runtime;
    if (cfg.runtime != "builtin") {
        auto path = fs::find_executable(cfg.runtime);
        if (!path) throw Error("runtime \"" + cfg.runtime + "\" not found in $PATH", kExitCannotInvoke);
        cfg.runtime = *path;
    }
    // The store's driver, decided here (it needs the database); its options
    // are made in the monitor's namespace.
    cfg.rootfs.driver = e.driver().kind();
    cfg.rootfs.layers = image_layer_dirs(e, *img);
    cfg.rootfs.container_dir = cfg.paths.userdata;
    cfg.image_config = img->config.value("config", Json::object());
    cfg.log_driver = c.spec.log_driver.empty() ? conf.log_driver : c.spec.log_driver;
    if (cfg.log_driver == "journald" && !container::journald_available())
        throw Error(std::string("log driver journald: journald is not running here (no ") + container::kJournalSocket +
                    "); use k8s-file, json-file or none");
    if (auto it = c.spec.log_opts.find("max-size"); it != c.spec.log_opts.end())
        cfg.log_max_size = str::parse_ram_bytes(it->second);
    // Rootless, whether or not this command already runs in skiff's user
    // namespace (it does after a pull, which unpacks layers there).
    bool in_ns = host::in_user_namespace();
    cfg.userns = geteuid() != 0 || in_ns;
    cfg.full_id_map = in_ns ? str::split(str::trim(fs::read_file("/proc/self/uid_map")), '\n').size() > 1
                            : !host::subordinate_ranges("/etc/subuid").empty();
    cfg.detach_keys = attach.detach_keys;
    cfg.network_helper = conf.network_helper;
    cfg.default_capabilities = conf.default_capabilities;
    cfg.join_pids = namespace_join_pids(e, c);
    cfg.volumes = container_volumes(e, c);
    plan_network_start(e, c, cfg);

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
    UniqueFd mine(pair[0]), theirs(pair[1]);
    std::string monitor_log = cfg.paths.userdata + "/monitor.log";
    e.release_db();
    // Held until the monitor registered the container with the daemon.
    auto netd_lease = lease_network_daemon(e, cfg);
    pid_t monitor = fork_monitor_process(
        cfg.join_pids, cfg.netd_pid,
        [&]() -> int {
            // The monitor keeps none of the caller's stdio: `$(skiff run -d …)`
            // must not wait for it. Attached descriptors are handed over as copies.
            cfg.rootfs.options = rootfs_driver_options(e.paths(), cfg.rootfs.driver, c.spec.remove);
            cfg.client_ctl = ::dup(theirs.get());
            if (attach.attach) {
                cfg.client_fds[0] = attach.in >= 0 ? ::dup(attach.in) : -1;
                cfg.client_fds[1] = attach.out >= 0 ? ::dup(attach.out) : -1;
                cfg.client_fds[2] = attach.err >= 0 ? ::dup(attach.err) : -1;
            }
            int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
            int log = ::open(monitor_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            ::dup2(null, 0);
            ::dup2(null, 1);
            ::dup2(log >= 0 ? log : null, 2);
            // Nothing else of the caller's may stay open in a long-lived
            // monitor (a test harness waits for its pipes to close).
            close_fds_except({cfg.client_ctl, cfg.client_fds[0], cfg.client_fds[1], cfg.client_fds[2]});
            return container::run_monitor(std::move(cfg));
        });
    theirs.reset();
    log::debug("container " + c.id.substr(0, 12) + ": monitor pid " + std::to_string(monitor) + ", runtime " +
               cfg.runtime + ", storage " + std::string(layers::driver_name(cfg.rootfs.driver)));
    Session s;
    s.monitor = monitor;
    auto& lines = s.lines;
    // A failed start: the monitor still cleans up (run --rm removes the
    // container); its closing the socket says it is done.
    auto await_monitor = [&] {
        pollfd p{mine.get(), POLLIN, 0};
        char buf[256];
        while (::poll(&p, 1, 10000) > 0 && ::read(mine.get(), buf, sizeof buf) > 0) {
        }
    };
    for (bool started = false; !started;) {
        if (!lines.fill(mine.get())) {
            ::waitpid(monitor, nullptr, WNOHANG);
            auto log = fs::read_file_if_exists(monitor_log).value_or("");
            std::string last = str::trim(log.substr(log.rfind('\n', log.size() > 1 ? log.size() - 2 : 0) + 1));
            if (last.rfind("Error: ", 0) == 0) last.erase(0, 7);
            throw Error("container " + c.name + " failed to start" + (last.empty() ? "" : ": " + last));
        }
        std::string line;
        while (!started && lines.next(line)) {
            if (line.rfind("started", 0) == 0) {
                started = true;
            } else if (line.rfind("fail ", 0) == 0) {
                lock.release();  // the monitor of a --rm container removes it now
                await_monitor();
                throw Error("container " + c.name + " failed to start: " + line.substr(5));
            } else if (line.rfind("error ", 0) == 0) {
                lock.release();
                await_monitor();
                std::string msg = line.substr(6);
                int code = msg.find("not found") != std::string::npos || msg.find("No such file") != std::string::npos
                               ? kExitNotFound
                               : kExitCannotInvoke;
                throw Error(msg, code);
            }
        }
    }
    s.ctl = std::move(mine);
    return s;
}

WaitResult wait_session(Session& s, bool sig_proxy, int tty_fd) {
    WaitResult r;
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int sig : {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&mask, sig);
    sigprocmask(SIG_BLOCK, &mask, &old);
    UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    auto send_size = [&] {
        struct winsize ws {};
        if (tty_fd >= 0 && ::ioctl(tty_fd, TIOCGWINSZ, &ws) == 0)
            unixsock::send(s.ctl.get(), "resize " + std::to_string(ws.ws_row) + " " + std::to_string(ws.ws_col) + "\n");
    };
    if (tty_fd >= 0) send_size();
    auto& lines = s.lines;
    for (bool first = true;; first = false) {
        std::string line;
        while (first && lines.next(line)) {
            if (line.rfind("exit ", 0) == 0) {
                r.exit_code = std::atoi(line.c_str() + 5);
                sigprocmask(SIG_SETMASK, &old, nullptr);
                return r;
            }
        }
        pollfd p[2] = {{s.ctl.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll");
        }
        if (p[1].revents) {
            struct signalfd_siginfo si;
            while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH) send_size();
                else if (sig_proxy) unixsock::send(s.ctl.get(), "kill " + std::to_string(si.ssi_signo) + "\n");
            }
        }
        if (p[0].revents) {
            if (!lines.fill(s.ctl.get())) {
                sigprocmask(SIG_SETMASK, &old, nullptr);
                throw Error("the container's monitor exited unexpectedly");
            }
            while (lines.next(line)) {
                if (line.rfind("exit ", 0) == 0) {
                    r.exit_code = std::atoi(line.c_str() + 5);
                    sigprocmask(SIG_SETMASK, &old, nullptr);
                    return r;
                }
                if (line == "detached") {
                    r.detached = true;
                    sigprocmask(SIG_SETMASK, &old, nullptr);
                    return r;
                }
            }
        }
    }
}

Container refresh(Engine& e, const Container& c) {
    if (!c.running()) return c;
    auto p = cpaths(e, c.id);
    bool same_boot = c.boot_id == host::boot_id();
    if (same_boot && alive_since(c.monitor_pid, c.started_at) && fs::exists(p.attach_socket())) return c;
    // The monitor is gone: the container ended with it (or the host rebooted).
    auto code = read_exit_file(p.exit_file());
    if (same_boot) kill_orphan(c);
    if (same_boot) net::reap_orphan_network(p.rundir + "/net");
    auto fresh = records(e).get(c.id);
    if (!fresh || !fresh->running()) return fresh ? *fresh : c;
    // No exit status: the monitor died before it could record one (kill -9).
    // The container died with it (its init has SIGKILL as parent-death
    // signal), as Docker reports a container whose shim was killed.
    std::string why;
    if (!code)
        why = same_boot ? "its monitor (pid " + std::to_string(c.monitor_pid) +
                              ") was killed: the container was killed with it"
                        : "the host restarted while it ran";
    int exit_code = code.value_or(same_boot ? 128 + SIGKILL : 255);
    try {
        records(e).set_exited(c.id, exit_code, timeutil::now_ns(), why);
    } catch (const state::DiskFull&) {
        // Read-only commands work on a full disk: what we know is shown,
        // and recorded by the first command that has room.
        Container shown = *fresh;
        shown.state = "exited";
        shown.exit_code = exit_code;
        shown.error = why;
        shown.pid = shown.monitor_pid = 0;
        return shown;
    }
    if (auto exited = records(e).get(c.id)) return *exited;
    throw NotFound("no such container: " + c.id);
}

bool still_running(Engine& e, const std::string& id) {
    try {
        auto rec = records(e).get(id);
        return rec && refresh(e, *rec).running();
    } catch (const NotFound&) {
        return false;
    }
}

Container find_container(Engine& e, const std::string& ref) { return refresh(e, records(e).resolve(ref)); }

std::vector<Container> list_containers(Engine& e) {
    std::vector<Container> out;
    for (auto& c : records(e).list()) out.push_back(refresh(e, c));
    return out;
}

void kill_container(Engine& e, const Container& c, int sig) {
    if (!c.running()) throw Error("can only kill running containers. " + c.id.substr(0, 12) + " is in state " + c.state);
    thaw_if_paused(e, c);
    auto sock = connect_monitor(e, c);
    unixsock::send(sock.get(), "attach 0 0 0\n");
    unixsock::send(sock.get(), "kill " + std::to_string(sig) + "\n");
}

void stop_container(Engine& e, const Container& c, int timeout, int sig) {
    if (!c.running()) return;
    if (sig == 0) {
        std::string stop_signal = c.spec.stop_signal;
        if (stop_signal.empty()) stop_signal = image_config_of(e, c).value("StopSignal", "SIGTERM");
        sig = parse_signal(stop_signal);
    }
    thaw_if_paused(e, c);
    UniqueFd sock;
    try {
        sock = connect_monitor(e, c);
    } catch (const Error&) {
        refresh(e, c);
        return;
    }
    unixsock::send(sock.get(), "attach 0 0 0\n");
    unixsock::send(sock.get(), "stop " + std::to_string(sig) + "\n");
    if (await_exit(sock.get(), timeout * 1000)) return;
    std::fprintf(stderr, "WARNING: %s did not stop within %d seconds: sending SIGKILL\n", c.name.c_str(), timeout);
    unixsock::send(sock.get(), "stop 9\n");
    await_exit(sock.get(), -1);
}

// Stops a running container through its monitor, SIGKILL at once.
void force_stop(Engine& e, const Container& c) {
    thaw_if_paused(e, c);
    try {
        auto sock = connect_monitor(e, c);
        unixsock::send(sock.get(), "attach 0 0 0\n");
        unixsock::send(sock.get(), "stop 9\n");
        await_exit(sock.get(), 10000);
    } catch (const Error&) {
    }
}

void remove_container(Engine& e, const Container& c0, bool force) {
    check_no_dependents(e, c0);
    Container c = refresh(e, c0);
    FileLock lock;
    // Stopping happens without the lock: a --rm container's monitor takes it
    // to remove the container as it exits, and then nothing is left to do.
    // A start that held the lock meanwhile makes it run again: stop again.
    for (int round = 0;; ++round) {
        if (c.running()) {
            if (!force)
                throw Error("cannot remove container " + c.id.substr(0, 12) +
                            ": container is running: stop the container before removing or force remove");
            force_stop(e, c);
        }
        lock = lock_container(e, c.id);
        auto now = records(e).get(c.id);
        if (!now) {
            lock.release_and_remove();
            return;
        }
        c = refresh(e, *now);
        if (!c.running()) break;
        if (round == 2) {
            kill_orphan(c);
            break;
        }
        lock.release();
    }
    // A monitor killed with -9 never ran the runtime's delete: its state
    // and cgroups are still there.
    try {
        oci::RuntimeOptions ro;
        ro.root = e.paths().runtime_state_dir();
        ro.warn = [](const std::string&) {};
        oci::Runtime(ro).remove(c.id, true);
    } catch (const Error&) {
    }
    auto p = cpaths(e, c.id);
    // Through the driver first: a vfs rootfs is a whole tree, with read-only
    // directories fs::remove_all cannot empty.
    remove_container_rootfs(e, c);
    records(e).remove(c.id);
    fs::remove_all(p.userdata);
    fs::remove_all(p.rundir);
    lock.release_and_remove();
}

void remove_orphaned_container_files(Engine& e) {
    std::set<std::string> ids;
    for (const auto& dir : {e.paths().containers_dir(), e.paths().run_containers_dir()}) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            std::string name = entry.path().filename().string();
            if (name.ends_with(".lock")) name.resize(name.size() - 5);
            if (name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos) ids.insert(name);
        }
    }
    for (const auto& id : ids) {
        if (records(e).get(id)) continue;
        // Under the lock, and only if the record is still missing then: a
        // create holds it from before its record is written until its
        // directories are made.
        FileLock lock = lock_container(e, id);
        if (records(e).get(id)) continue;
        auto p = cpaths(e, id);
        try {
            fs::remove_all(p.userdata);
            fs::remove_all(p.rundir);
        } catch (const Error& err) {
            std::fprintf(stderr, "WARNING: removing what is left of container %s: %s\n", id.substr(0, 12).c_str(),
                         err.what());
            continue;
        }
        lock.release_and_remove();
    }
}

int wait_container(Engine& e, const std::string& id, const std::string& condition) {
    if (condition != "stopped" && condition != "exited" && condition != "not-running" && condition != "running")
        throw Error("invalid --condition \"" + condition + "\": expected running, stopped, exited or not-running");
    for (int delay = 5;; delay = std::min(delay * 2, 100)) {
        auto rec = records(e).get(id);
        if (!rec) throw NotFound("no such container: " + id);
        Container c = refresh(e, *rec);
        if (condition == "running" ? c.running() : !c.running()) {
            if (condition == "running") return 0;
            if (c.state != "created" || condition == "not-running") return c.exit_code;
        }
        if (c.running() && condition != "running") {
            try {
                auto sock = connect_monitor(e, c);
                unixsock::send(sock.get(), "attach 0 0 0\n");
                if (await_exit(sock.get(), -1)) continue;
            } catch (const Error&) {
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
}

std::string status_text(const Container& c, int64_t now) {
    if (c.state == "running" || c.state == "stopping") return "Up " + str::human_duration((now - c.started_at) / 1000000000LL);
    if (c.state == "paused") return "Up " + str::human_duration((now - c.started_at) / 1000000000LL) + " (Paused)";
    if (c.state == "exited")
        return "Exited (" + std::to_string(c.exit_code) + ") " + timeutil::ago(c.finished_at, now);
    return "Created";
}

namespace {

// The networks a container is on, as ps prints them.
std::string networks_column(const Container& c) {
    if (c.spec.network != "networks") return c.spec.network;
    std::vector<std::string> names;
    for (auto& j : c.spec.network_joins) names.push_back(j.name);
    return str::join(names, ",");
}

}  // namespace

Json ps_row(Engine& e, const Container& c, bool no_trunc, bool size) {
    int64_t now = timeutil::now_ns();
    std::string cmd = first_line_command(c, image_config_of(e, c));
    if (!no_trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
    Json labels = Json::object();
    for (auto& [k, v] : c.spec.labels) labels[k] = v;
    std::vector<std::string> label_list;
    for (auto& [k, v] : c.spec.labels) label_list.push_back(k + "=" + v);
    Json mounts = Json::array();
    for (auto& m : c.spec.mounts) mounts.push_back(m.source.empty() ? m.destination : m.source);
    Json row = {
        {"ID", no_trunc ? c.id : c.id.substr(0, 12)},
        {"Image", c.image_name},
        {"ImageID", c.image_id},
        {"Command", "\"" + cmd + "\""},
        {"CreatedAt", timeutil::rfc3339_nano(c.created)},
        {"RunningFor", timeutil::ago(c.created, now)},
        {"Ports", ports_column(e, c)},
        {"State", c.state == "stopping" ? "running" : c.state},
        {"Status", status_text(c, now)},
        {"Names", c.name},
        {"Labels", str::join(label_list, ",")},
        {"LabelMap", labels},
        {"Mounts", str::join(mounts.get<std::vector<std::string>>(), ",")},
        {"Networks", networks_column(c)},
        {"Pid", c.pid},
        {"ExitCode", c.exit_code},
        {"Size", ""},
    };
    if (size) {
        // Docker's form: the writable layer, then with the image's size.
        int64_t rw = 0, image = 0;
        try {
            rw = static_cast<int64_t>(layers::tree_size(container_writable_dir(e, c)));
        } catch (const Error&) {
            // Not created on disk (yet, or any more): nothing written.
        }
        if (auto img = e.images().get_by_id(c.image_id)) image = img->size;
        row["Size"] = str::human_size(static_cast<double>(rw)) + " (virtual " +
                      str::human_size(static_cast<double>(rw + image)) + ")";
    }
    return row;
}

Json inspect_container(Engine& e, const Container& c) {
    auto p = cpaths(e, c.id);
    Json img_cfg = image_config_of(e, c);
    std::vector<std::string> argv;
    try {
        argv = container::container_argv(c.spec, img_cfg);
    } catch (const Error&) {
    }
    Json mounts = Json::array();
    for (auto& m : c.spec.mounts) {
        if (m.type == "volume") {
            mounts.push_back(inspect_volume_mount(e, m));
            continue;
        }
        bool ro = std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
        mounts.push_back({{"Type", m.type}, {"Source", m.source}, {"Destination", m.destination}, {"Mode", ""},
                          {"RW", !ro}, {"Propagation", m.type == "bind" ? "rprivate" : ""}});
    }
    Json labels = Json::object();
    for (auto& [k, v] : c.spec.labels) labels[k] = v;
    Json env = container::container_env(c.spec, img_cfg, container::container_hostname(c), "/root");
    std::string status = c.state == "stopping" ? "running" : c.state;
    return {
        {"Id", c.id},
        {"Created", timeutil::rfc3339_nano(c.created)},
        {"Path", argv.empty() ? "" : argv[0]},
        {"Args", argv.size() > 1 ? Json(std::vector<std::string>(argv.begin() + 1, argv.end())) : Json::array()},
        {"State",
         {{"Status", status},
          {"Running", c.running()},
          {"Paused", c.state == "paused"},
          {"Restarting", false},
          {"OOMKilled", false},
          {"Dead", false},
          {"Pid", c.pid},
          {"ExitCode", c.exit_code},
          {"Error", c.error},
          {"StartedAt", c.started_at ? timeutil::rfc3339_nano(c.started_at) : "0001-01-01T00:00:00Z"},
          {"FinishedAt", c.finished_at ? timeutil::rfc3339_nano(c.finished_at) : "0001-01-01T00:00:00Z"}}},
        {"Image", "sha256:" + c.image_id},
        {"ImageName", c.image_name},
        {"ResolvConfPath", p.rundir + "/etc/resolv.conf"},
        {"HostnamePath", p.rundir + "/etc/hostname"},
        {"HostsPath", p.rundir + "/etc/hosts"},
        {"LogPath", p.log()},
        {"Name", "/" + c.name},
        {"RestartCount", c.restart_count},
        {"Driver", std::string(layers::driver_name(store_driver_kind(e)))},
        {"GraphDriver", container_graph_driver(e, c)},
        {"Platform", "linux"},
        {"HostConfig",
         {{"Binds", Json::array()},
          {"VolumesFrom", c.spec.volumes_from},
          {"NetworkMode", c.spec.network == "networks" && !c.spec.network_joins.empty() ? c.spec.network_joins[0].name
                                                                                        : c.spec.network},
          {"PortBindings", port_bindings(c)},
          {"RestartPolicy", {{"Name", c.spec.restart.name}, {"MaximumRetryCount", c.spec.restart.max_retries}}},
          {"AutoRemove", c.spec.remove},
          {"CapAdd", c.spec.cap_add},
          {"CapDrop", c.spec.cap_drop},
          {"Privileged", c.spec.privileged},
          {"ReadonlyRootfs", c.spec.read_only},
          {"Memory", c.spec.memory},
          {"MemorySwap", c.spec.memory_swap},
          {"NanoCpus", static_cast<int64_t>(c.spec.cpus * 1e9)},
          {"CpuShares", c.spec.cpu_shares},
          {"CpusetCpus", c.spec.cpuset_cpus},
          {"PidsLimit", c.spec.pids_limit},
          {"ShmSize", c.spec.shm_size},
          {"Init", c.spec.init},
          {"IpcMode", c.spec.ipc.empty() ? "private" : c.spec.ipc},
          {"PidMode", c.spec.pid},
          {"UTSMode", c.spec.uts},
          {"UsernsMode", c.spec.userns},
          {"LogConfig", {{"Type", c.spec.log_driver.empty() ? e.ctx().config().log_driver : c.spec.log_driver},
                         {"Config", c.spec.log_opts}}},
          {"GroupAdd", c.spec.group_add},
          {"Sysctls", c.spec.sysctls},
          {"Ulimits", c.spec.ulimits},
          {"Devices", c.spec.devices},
          {"Dns", c.spec.dns},
          {"DnsSearch", c.spec.dns_search},
          {"DnsOptions", c.spec.dns_options},
          {"ExtraHosts", c.spec.add_hosts}}},
        {"Mounts", mounts},
        {"Config",
         {{"Hostname", container::container_hostname(c)},
          {"User", c.spec.user.empty() ? img_cfg.value("User", "") : c.spec.user},
          {"Tty", c.spec.tty},
          {"OpenStdin", c.spec.interactive},
          {"Env", env},
          {"Cmd", c.spec.command.empty() && !c.spec.entrypoint_set ? img_cfg.value("Cmd", Json::array())
                                                                    : Json(c.spec.command)},
          {"Image", c.image_name},
          {"WorkingDir", c.spec.workdir.empty() ? img_cfg.value("WorkingDir", "") : c.spec.workdir},
          {"Entrypoint", c.spec.entrypoint_set ? Json(c.spec.entrypoint) : img_cfg.value("Entrypoint", Json(nullptr))},
          {"Labels", labels},
          {"Annotations", c.spec.annotations},
          {"StopSignal", c.spec.stop_signal.empty() ? img_cfg.value("StopSignal", "SIGTERM") : c.spec.stop_signal},
          {"StopTimeout", c.spec.stop_timeout < 0 ? 10 : c.spec.stop_timeout}}},
        {"NetworkSettings", {{"Networks", container_networks_json(e, c)}, {"Ports", network_ports(e, c, img_cfg)}, {"IPAddress", ""}}},
    };
}

}  // namespace skiff::engine
