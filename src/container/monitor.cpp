#include "container/monitor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <thread>

#include "container/bundle.hpp"
#include "container/handoff.hpp"
#include "container/journald.hpp"
#include "container/logs.hpp"
#include "container/relay.hpp"
#include "container/users.hpp"
#include "monitor_idle/protocol.hpp"
#include "net/container_net.hpp"
#include "oci/runtime.hpp"
#include "state/db.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/file_lock.hpp"
#include "util/memory.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"
#include "util/unixsock.hpp"

extern char** environ;

namespace skiff::container {

namespace {

// The running container as the monitor sees it.
class Monitor {
public:
    explicit Monitor(MonitorConfig cfg) : cfg_(std::move(cfg)), db_(cfg_.database), records_(db_) {
        relay_.read_size = 65536;  // skiff-monitor reads less: its memory is the target
    }

    int run();
    // After skiff-monitor: the exit it saw, its clients (handoff.hpp).
    int resume(const Json& state, const std::vector<std::string>& words);

private:
    void prepare();
    void open_log();
    void open_signals();
    void make_runtime();
    int supervise(bool resumed);
    void hand_off();
    void mount_rootfs();
    bool start_once();
    void loop();
    void finish(int status);
    bool should_restart(int status);
    void remove_container();
    void record_exit(int status);
    void deliver_signal(int sig);

    MonitorConfig cfg_;
    state::Database db_;
    Records records_;
    std::unique_ptr<oci::Runtime> rt_;
    std::unique_ptr<net::ContainerNetwork> net_;
    std::unique_ptr<layers::Driver> driver_;
    Relay relay_;  // the container's stdio, clients and signals
    Child external_;  // an external runtime's `run` process
    bool idle_armed_ = false;  // the hand-off is tried once per process
    // The restart back-off, kept across the handoff.
    int64_t started_ns_ = 0;
    int backoff_ms_ = 100;
};

std::string signal_exit_text(int status) { return std::to_string(status); }

// The driver's rootfs (userdata/merged, or userdata/rootfs for vfs) is bound
// at one path whatever the driver: the bundle, the volume copy-up and the
// commands that join this namespace (cp, export) all find it there.
void Monitor::mount_rootfs() {
    driver_ = layers::make_driver(cfg_.rootfs.driver, cfg_.rootfs.options);
    std::string made = driver_->mount_rootfs(cfg_.rootfs.layers, cfg_.rootfs.container_dir);
    const std::string target = cfg_.paths.rootfs();
    fs::make_dirs(target, 0755);
    if (::mount(made.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) < 0)
        throw_errno("bind " + made + " to " + target);
}

net::NetworkRequest network_request(const MonitorConfig& cfg) {
    const auto& s = cfg.container.spec;
    net::NetworkRequest r;
    r.mode = s.network;
    r.configured_helper = cfg.network_helper;
    r.publish = s.publish;
    r.publish_all = s.publish_all;
    if (cfg.image_config.contains("ExposedPorts") && cfg.image_config["ExposedPorts"].is_object())
        for (auto& [port, _] : cfg.image_config["ExposedPorts"].items()) r.exposed.push_back(port);
    r.exposed.insert(r.exposed.end(), s.expose.begin(), s.expose.end());
    r.dir = cfg.paths.rundir + "/net";
    r.netd_dir = cfg.netd_dir;
    r.netd_pid = cfg.netd_pid;
    r.record = cfg.network_record;
    r.uplink_gateway = cfg.uplink_gateway;
    return r;
}

void Monitor::prepare() {
    ::setsid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    relay_.detach_seq = parse_detach_keys(cfg_.detach_keys);
    fs::make_dirs(cfg_.paths.rundir, 0700);
    fs::make_dirs(cfg_.paths.bundle(), 0700);
    ::unlink(cfg_.paths.exit_file().c_str());
    // Mount events must not leak to the host (root) or be refused (rootless).
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) throw_errno("make mounts private");
    net_ = std::make_unique<net::ContainerNetwork>(network_request(cfg_));
    try {
        net_->begin();  // the helper sets up while the rootfs is mounted
    } catch (const Error&) {
        net_->end();  // start_once tries again and reports the error to the client
    }
    mount_rootfs();
    prepare_volumes(cfg_.volumes, cfg_.container.spec, cfg_.paths.rootfs(), cfg_.userns);
    write_etc_files(cfg_.container, cfg_.paths.rundir + "/etc", net_->etc_addresses());
    BundleInputs in;
    in.container = &cfg_.container;
    in.image_config = cfg_.image_config;
    in.rootfs = cfg_.paths.rootfs();
    in.etc_dir = cfg_.paths.rundir + "/etc";
    in.user = resolve_user(in.rootfs, cfg_.container.spec.user.empty() ? cfg_.image_config.value("User", "")
                                                                       : cfg_.container.spec.user,
                           cfg_.container.spec.group_add);
    in.userns = cfg_.userns;
    in.full_id_map = cfg_.full_id_map;
    in.join_pids = cfg_.join_pids;
    in.netns_path = net_->netns_path();
    in.default_capabilities = cfg_.default_capabilities;
    Json config = make_oci_config(in);
    fs::write_volatile(cfg_.paths.bundle() + "/config.json", config.dump(2));
    open_log();
    relay_.listener = unixsock::listen_at(cfg_.paths.attach_socket());
    open_signals();
    make_runtime();
    if (cfg_.client_ctl >= 0) {
        auto c = std::make_unique<RelayClient>();
        c->detach_seq = relay_.detach_seq;
        c->ctl = UniqueFd(cfg_.client_ctl);
        if (cfg_.client_fds[0] >= 0) c->in = UniqueFd(cfg_.client_fds[0]);
        if (cfg_.client_fds[1] >= 0) c->out = UniqueFd(cfg_.client_fds[1]);
        if (cfg_.client_fds[2] >= 0) c->err = UniqueFd(cfg_.client_fds[2]);
        relay_.clients.push_back(std::move(c));
    }
}

std::string journal_tag_of(const Container& c) {
    auto tag = c.spec.log_opts.count("tag") ? c.spec.log_opts.at("tag") : "";
    return journal_tag(tag, c.id, c.name, c.image_name, c.image_id);
}

void Monitor::open_log() {
    relay_.log = std::make_unique<LogWriter>(cfg_.paths.log(), cfg_.log_driver, cfg_.log_max_size);
    const auto& c = cfg_.container;
    if (cfg_.log_driver == "journald") relay_.log->use_journal(c.id, c.name, journal_tag_of(c));
}

void Monitor::open_signals() { relay_.sigfd = Relay::open_signals(); }

void Monitor::make_runtime() {
    oci::RuntimeOptions ro;
    ro.root = cfg_.runtime_root;
    ro.warn = [](const std::string& m) { std::fprintf(stderr, "WARNING: %s\n", m.c_str()); };
    rt_ = std::make_unique<oci::Runtime>(ro);
}

bool Monitor::start_once() {
    const auto& spec = cfg_.container.spec;
    int in_fds[2] = {-1, -1}, out_fds[2], err_fds[2];
    UniqueFd in_r, out_w, err_w;
    if (!spec.tty) {
        if (spec.interactive) {
            if (::pipe2(in_fds, O_CLOEXEC) < 0) throw_errno("pipe");
            in_r = UniqueFd(in_fds[0]);
            relay_.in_w = UniqueFd(in_fds[1]);
        } else {
            in_r = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        }
        if (::pipe2(out_fds, O_CLOEXEC) < 0 || ::pipe2(err_fds, O_CLOEXEC) < 0) throw_errno("pipe");
        relay_.out_r = UniqueFd(out_fds[0]);
        out_w = UniqueFd(out_fds[1]);
        relay_.err_r = UniqueFd(err_fds[0]);
        err_w = UniqueFd(err_fds[1]);
    }
    const std::string& id = cfg_.container.id;
    net_->ready();
    if (cfg_.runtime == "builtin") {
        oci::CreateOptions o;
        o.bundle = cfg_.paths.bundle();
        // Never unsupervised: a monitor killed with -9 takes the container along.
        o.die_with_parent = true;
        if (!spec.tty) {
            o.stdio[0] = in_r.get();
            o.stdio[1] = out_w.get();
            o.stdio[2] = err_w.get();
        }
        try {
            rt_->remove(id, true);  // leftovers of a previous run
        } catch (const Error&) {
        }
        oci::Started s = rt_->run(id, o);
        relay_.follow(s.pid);
        if (s.console) {
            relay_.console = std::move(s.console);
            relay_.in_w = UniqueFd(::dup(relay_.console.get()));
        }
    } else {
        if (spec.tty) throw Error("--tty with an external runtime (" + cfg_.runtime + ") is not supported yet");
        std::vector<std::string> argv = {cfg_.runtime, "--root", cfg_.runtime_root, "run", "--bundle",
                                         cfg_.paths.bundle(), id};
        pid_t child = ::fork();
        if (child < 0) throw_errno("fork");
        if (child == 0) {
            ::dup2(in_r.get(), 0);
            ::dup2(out_w.get(), 1);
            ::dup2(err_w.get(), 2);
            exec_in_child(argv[0], argv);  // a path: start_container resolved it
        }
        external_ = Child(child);
        relay_.follow(child);
    }
    records_.set_running(id, relay_.pid, ::getpid(), timeutil::now_ns(), host::boot_id());
    if (!cfg_.container.spec.pidfile.empty())
        fs::write_volatile(cfg_.container.spec.pidfile, std::to_string(relay_.pid) + "\n");
    relay_.tell_all("started " + std::to_string(relay_.pid));
    return true;
}

// The builtin runtime's kill checks the pid is still the container's;
// an external runtime's container is our child: kill(2) is safe.
void Monitor::deliver_signal(int sig) {
    if (cfg_.runtime == "builtin") {
        try {
            rt_->kill(cfg_.container.id, sig, false);
            return;
        } catch (const Error&) {
        }
    }
    ::kill(relay_.pid, sig);
}

void Monitor::loop() {
    relay_.deliver = [this](int sig) { deliver_signal(sig); };
    // A container that keeps running leaves the monitor relaying and
    // waiting: after a second of that, the small skiff-monitor takes over
    // (issue 6's memory target), or, without it, the pages of start-up code
    // are let go. Not sooner: a short-lived container's exit must not wait.
    relay_.on_idle = [this] {
        hand_off();  // returns only when it could not
        memory::release_startup_pages();
    };
    if (!idle_armed_) relay_.idle_ms = 1000;
    idle_armed_ = true;
    try {
        relay_.run();
    } catch (...) {
        if (external_.pid() == relay_.pid && relay_.exited()) external_.release();
        throw;
    }
    if (external_.pid() == relay_.pid) external_.release();  // reaped by the relay
}

bool Monitor::should_restart(int status) {
    const auto& r = cfg_.container.spec.restart;
    if (relay_.stopped_by_user) return false;
    if (r.name == "always" || r.name == "unless-stopped") return true;
    if (r.name == "on-failure") return status != 0 && (r.max_retries == 0 || cfg_.container.restart_count < r.max_retries);
    return false;
}

void Monitor::remove_container() {
    // `rm -f` may be removing it too: whoever comes second finds no record.
    FileLock lock(cfg_.paths.lock_file());
    if (!records_.get(cfg_.container.id)) {
        lock.release_and_remove();
        return;
    }
    try {
        records_.remove(cfg_.container.id);
    } catch (const state::DiskFull&) {
        records_.remove(cfg_.container.id);  // with the reserve's room
    }
    remove_anonymous_volumes(db_, cfg_.volumes, cfg_.container.id);
    ::umount2(cfg_.paths.rootfs().c_str(), MNT_DETACH);
    try {
        // vfs copies are whole trees and may hold read-only directories.
        if (driver_) driver_->remove(cfg_.rootfs.container_dir);
    } catch (const Error& e) {
        std::fprintf(stderr, "WARNING: removing the rootfs of %s: %s\n", cfg_.container.id.c_str(), e.what());
    }
    fs::remove_all(cfg_.paths.userdata);
    fs::remove_all(cfg_.paths.rundir);
    lock.release_and_remove();
}

// With the host's pid namespace, nothing kills what the container's init
// left running (rootless there is no cgroup to empty either). Orphans of
// the container were reparented to the monitor, its subreaper: they go
// with the container, as they would with a pid namespace of its own.
void kill_orphans() {
    pid_t self = ::getpid();
    for (int round = 0; round < 20; ++round) {
        bool found = false;
        DIR* d = ::opendir("/proc");
        if (!d) return;
        while (auto* e = ::readdir(d)) {
            pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
            if (pid <= 0) continue;
            auto stat = fs::read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
            if (!stat) continue;
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            size_t close = stat->rfind(')');
            if (close == std::string::npos) continue;
            auto fields = str::split(stat->substr(close + 2), ' ');
            if (fields.size() > 1 && std::atoi(fields[1].c_str()) == self) {
                ::kill(pid, SIGKILL);
                found = true;
            }
        }
        ::closedir(d);
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        if (!found) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void Monitor::finish(int status) {
    if (cfg_.runtime == "builtin") {
        try {
            rt_->remove(cfg_.container.id, true);
        } catch (const Error& e) {
            std::fprintf(stderr, "WARNING: runtime cleanup of %s: %s\n", cfg_.container.id.c_str(), e.what());
        }
    }
    net_->end();
    if (cfg_.container.spec.pid == "host") kill_orphans();
    fs::write_volatile(cfg_.paths.exit_file(), std::to_string(status) + "\n");
    record_exit(status);
}

// A full disk must not lose an exit: the database frees its reserve when a
// write finds no room, so the first retry usually succeeds; after that the
// monitor waits for space, and the exit file tells commands meanwhile.
void Monitor::record_exit(int status) {
    for (int attempt = 0, delay_s = 1;; ++attempt) {
        try {
            records_.set_exited(cfg_.container.id, status, timeutil::now_ns());
            return;
        } catch (const state::DiskFull& e) {
            if (attempt == 1) std::fprintf(stderr, "WARNING: recording the exit of %s: %s; trying again until there is room\n", cfg_.container.id.c_str(), e.what());
            if (attempt == 0) continue;
            std::this_thread::sleep_for(std::chrono::seconds(delay_s));
            delay_s = std::min(delay_s * 2, 30);
        }
    }
}

int Monitor::run() {
    try {
        prepare();
    } catch (const Error& e) {
        // The client hears of it before the container (and the log it
        // would read) is gone: "fail" is an engine error, exit 125.
        std::string fail = std::string("fail ") + e.what();
        if (!relay_.clients.empty()) relay_.tell_all(fail);
        else if (cfg_.client_ctl >= 0) unixsock::send(cfg_.client_ctl, fail + "\n");
        // run --rm: a container that never started goes too, removed here
        // (in the storage namespace, with its anonymous volumes) as after
        // any other exit.
        if (cfg_.container.spec.remove) {
            try {
                remove_container();
            } catch (const Error& e) {
                std::fprintf(stderr, "WARNING: removing %s: %s\n", cfg_.container.name.c_str(), e.what());
            }
        }
        throw;
    }
    return supervise(false);
}

// Starts the container and follows it until no restart is due; resumed:
// the container already ran and exited under skiff-monitor.
int Monitor::supervise(bool resumed) {
    for (;;) {
        if (!resumed) {
            started_ns_ = timeutil::now_ns();
            try {
                start_once();
            } catch (const Error& e) {
                relay_.tell_all(std::string("error ") + e.what());
                net_->release();
                record_exit(kExitCannotInvoke);
                fs::write_volatile(cfg_.paths.exit_file(), std::to_string(kExitCannotInvoke) + "\n");
                if (cfg_.container.spec.remove) remove_container();
                return kExitEngine;
            }
            loop();
        }
        resumed = false;
        finish(relay_.exit_status());
        if (!should_restart(relay_.exit_status())) break;
        records_.bump_restart(cfg_.container.id);
        ++cfg_.container.restart_count;
        // Docker's back-off: doubling from 100 ms, reset after 10 s of running.
        if (timeutil::now_ns() - started_ns_ > 10'000'000'000LL) backoff_ms_ = 100;
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms_));
        backoff_ms_ = std::min(backoff_ms_ * 2, 60000);
        if (relay_.stopped_by_user) break;
    }
    net_->release();
    if (cfg_.container.spec.remove) remove_container();
    relay_.tell_all("exit " + signal_exit_text(relay_.exit_status()));
    return 0;
}

// Issue 6: this process (the forked skiff, megabytes of code and
// relocations) becomes skiff-monitor, which needs well under 1 MiB. What it
// cannot know travels in the handoff file for `__monitor-resume`. An
// external runtime's `run` process and slirp4netns's exit pipe are not
// handed over: those containers keep the big monitor.
void Monitor::hand_off() {
    if (cfg_.runtime != "builtin" || external_.pid() > 0 || net_->helper() == "slirp4netns" || relay_.exited()) return;
    std::string program = find_idle_monitor();
    if (program.empty()) return;
    std::string file = handoff_file(cfg_.paths);
    Relay& r = relay_;
    std::vector<int> fds = {r.out_r.get(), r.err_r.get(), r.console.get(), r.in_w.get(), r.listener.get()};
    try {
        Json state = monitor_config_to_json(cfg_);
        state["started_ns"] = started_ns_;
        state["backoff_ms"] = backoff_ms_;
        fs::write_volatile(file, state.dump());
        std::vector<std::string> argv = {program,
                                         "state=" + file,
                                         "skiff=" + self_exe(),
                                         "pid=" + std::to_string(r.pid),
                                         "out=" + std::to_string(r.out_r.get()),
                                         "err=" + std::to_string(r.err_r.get()),
                                         "console=" + std::to_string(r.console.get()),
                                         "in=" + std::to_string(r.in_w.get()),
                                         "listener=" + std::to_string(r.listener.get()),
                                         "log=" + cfg_.log_driver,
                                         "log_path=" + cfg_.paths.log(),
                                         "log_max=" + std::to_string(cfg_.log_max_size),
                                         "keys=" + idle::to_hex(r.detach_seq),
                                         std::string("stopped=") + (r.stopped_by_user ? "1" : "0")};
        if (cfg_.log_driver == "journald") {
            const auto& c = cfg_.container;
            argv.push_back("journal_id=" + c.id);
            argv.push_back("journal_name=" + c.name);
            argv.push_back("journal_tag=" + journal_tag_of(c));
        }
        add_client_words(r.clients, argv, fds);
        for (int fd : fds) set_inheritable(fd, true);
        std::vector<char*> raw;
        for (auto& a : argv) raw.push_back(a.data());
        raw.push_back(nullptr);
        ::execve(program.c_str(), raw.data(), environ);
        std::fprintf(stderr, "WARNING: exec %s: %s; the monitor stays\n", program.c_str(), std::strerror(errno));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "WARNING: handing the monitor over to %s: %s\n", program.c_str(), e.what());
    }
    for (int fd : fds) set_inheritable(fd, false);
    ::unlink(file.c_str());
}

int Monitor::resume(const Json& state, const std::vector<std::string>& words) {
    auto c = records_.get(cfg_.container.id);
    if (!c) throw Error("container " + cfg_.container.id + " is gone");
    cfg_.container = std::move(*c);
    started_ns_ = state.value("started_ns", int64_t{0});
    backoff_ms_ = state.value("backoff_ms", 100);
    relay_.detach_seq = parse_detach_keys(cfg_.detach_keys);
    // Descriptors are ours again; none may leak into a restart's runtime.
    auto own = [](const std::string& v) {
        int fd = std::atoi(v.c_str());
        if (fd < 0) return UniqueFd();
        set_inheritable(fd, false);
        return UniqueFd(fd);
    };
    relay_.set_exited(0);
    for (size_t i = 1; i < words.size(); ++i) {
        std::string v;
        idle::ClientSpec cs;
        if (idle::word_value(words[i], "exit", v)) {
            relay_.set_exited(std::atoi(v.c_str()));
        } else if (idle::word_value(words[i], "stopped", v)) {
            relay_.stopped_by_user = v == "1";
        } else if (idle::word_value(words[i], "listener", v)) {
            relay_.listener = own(v);
        } else if (idle::word_value(words[i], "client", v) && idle::decode_client(v, cs)) {
            relay_.clients.push_back(adopt_client(cs));
        } else {
            throw Error("__monitor-resume: unknown word " + words[i]);
        }
    }
    ::unlink(handoff_file(cfg_.paths).c_str());
    net_ = std::make_unique<net::ContainerNetwork>(network_request(cfg_));
    net_->resume();
    driver_ = layers::make_driver(cfg_.rootfs.driver, cfg_.rootfs.options);
    open_log();
    open_signals();
    make_runtime();
    return supervise(true);
}

}  // namespace

int resume_monitor(const std::vector<std::string>& words) {
    try {
        if (words.empty()) throw Error("__monitor-resume: no handoff file");
        Json state = Json::parse(fs::read_file(words[0]));
        Monitor m(monitor_config_from_json(state));
        return m.resume(state, words);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "Error: %s\n", e.what());
        return kExitEngine;
    }
}

int run_monitor(MonitorConfig cfg) {
    try {
        Monitor m(std::move(cfg));
        return m.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "Error: %s\n", e.what());
        return kExitEngine;
    }
}

}  // namespace skiff::container
