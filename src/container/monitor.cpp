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
#include <cstring>
#include <thread>

#include "container/bundle.hpp"
#include "container/handoff.hpp"
#include "container/journald.hpp"
#include "container/logs.hpp"
#include "container/users.hpp"
#include "monitor_idle/protocol.hpp"
#include "net/container_net.hpp"
#include "oci/runtime.hpp"
#include "state/db.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/memory.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"
#include "util/unixsock.hpp"

extern char** environ;

namespace skiff::container {

namespace {

struct Client {
    UniqueFd ctl;
    UniqueFd in, out, err;
    bool detached = false;
    size_t detach_match = 0;
    std::string detach_seq;
    unixsock::LineReader lines;
};

void write_all_fd(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // a client that went away
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void tell(Client& c, const std::string& msg) {
    if (!c.ctl) return;
    try {
        unixsock::send(c.ctl.get(), msg + "\n");
    } catch (const Error&) {
    }
}

// The running container as the monitor sees it.
class Monitor {
public:
    explicit Monitor(MonitorConfig cfg) : cfg_(std::move(cfg)), db_(cfg_.database), records_(db_) {}

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
    void handle_output(int fd, bool is_stderr);
    void handle_client_input(Client& c);
    void handle_ctl(Client& c);
    void process_lines(Client& c);
    void accept_client();
    void finish(int status);
    bool should_restart(int status);
    void remove_container();
    void deliver_signal(int sig);

    MonitorConfig cfg_;
    state::Database db_;
    Records records_;
    std::unique_ptr<oci::Runtime> rt_;
    std::unique_ptr<net::ContainerNetwork> net_;
    std::unique_ptr<layers::Driver> driver_;
    std::unique_ptr<LogWriter> log_;
    std::vector<std::unique_ptr<Client>> clients_;
    UniqueFd listener_, sigfd_;
    UniqueFd out_r_, err_r_, in_w_, console_;
    pid_t pid_ = -1;
    Child external_;  // an external runtime's `run` process
    bool stopped_by_user_ = false;
    bool pages_released_ = false;
    bool exited_ = false;
    int exit_status_ = 0;
    std::string detach_seq_;
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
    detach_seq_ = parse_detach_keys(cfg_.detach_keys);
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
    listener_ = unixsock::listen_at(cfg_.paths.attach_socket());
    open_signals();
    make_runtime();
    if (cfg_.client_ctl >= 0) {
        auto c = std::make_unique<Client>();
        c->detach_seq = detach_seq_;
        c->ctl = UniqueFd(cfg_.client_ctl);
        if (cfg_.client_fds[0] >= 0) c->in = UniqueFd(cfg_.client_fds[0]);
        if (cfg_.client_fds[1] >= 0) c->out = UniqueFd(cfg_.client_fds[1]);
        if (cfg_.client_fds[2] >= 0) c->err = UniqueFd(cfg_.client_fds[2]);
        clients_.push_back(std::move(c));
    }
}

std::string journal_tag_of(const Container& c) {
    auto tag = c.spec.log_opts.count("tag") ? c.spec.log_opts.at("tag") : "";
    return journal_tag(tag, c.id, c.name, c.image_name, c.image_id);
}

void Monitor::open_log() {
    log_ = std::make_unique<LogWriter>(cfg_.paths.log(), cfg_.log_driver, cfg_.log_max_size);
    const auto& c = cfg_.container;
    if (cfg_.log_driver == "journald") log_->use_journal(c.id, c.name, journal_tag_of(c));
}

void Monitor::open_signals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sigfd_ = UniqueFd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
}

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
            in_w_ = UniqueFd(in_fds[1]);
        } else {
            in_r = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        }
        if (::pipe2(out_fds, O_CLOEXEC) < 0 || ::pipe2(err_fds, O_CLOEXEC) < 0) throw_errno("pipe");
        out_r_ = UniqueFd(out_fds[0]);
        out_w = UniqueFd(out_fds[1]);
        err_r_ = UniqueFd(err_fds[0]);
        err_w = UniqueFd(err_fds[1]);
    }
    const std::string& id = cfg_.container.id;
    net_->ready();
    if (cfg_.runtime == "builtin") {
        oci::CreateOptions o;
        o.bundle = cfg_.paths.bundle();
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
        pid_ = s.pid;
        if (s.console) {
            console_ = std::move(s.console);
            in_w_ = UniqueFd(::dup(console_.get()));
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
        pid_ = child;
    }
    records_.set_running(id, pid_, ::getpid(), timeutil::now_ns(), host::boot_id());
    if (!cfg_.container.spec.pidfile.empty()) fs::write_volatile(cfg_.container.spec.pidfile, std::to_string(pid_) + "\n");
    for (auto& c : clients_) tell(*c, "started " + std::to_string(pid_));
    return true;
}

void Monitor::handle_output(int fd, bool is_stderr) {
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (fd == out_r_.get()) out_r_.reset();
        else if (fd == err_r_.get()) err_r_.reset();
        else if (fd == console_.get()) console_.reset();
        return;
    }
    std::string_view data(buf, static_cast<size_t>(n));
    log_->write(is_stderr, data);
    for (auto& c : clients_) {
        if (c->detached) continue;
        int target = is_stderr && c->err ? c->err.get() : c->out.get();
        if (target >= 0) write_all_fd(target, data);
    }
}

void Monitor::handle_client_input(Client& c) {
    char buf[4096];
    ssize_t n = ::read(c.in.get(), buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && errno == EINTR) return;
        c.in.reset();
        // The client's stdin ended: so does the container's (echo x | run -i).
        if (!console_) in_w_.reset();
        return;
    }
    std::string pass;
    for (ssize_t i = 0; i < n; ++i) {
        char ch = buf[i];
        if (!c.detach_seq.empty() && ch == c.detach_seq[c.detach_match]) {
            if (++c.detach_match == c.detach_seq.size()) {
                c.detached = true;
                tell(c, "detached");
                c.in.reset();
                return;
            }
            continue;
        }
        if (c.detach_match) pass.append(c.detach_seq.substr(0, c.detach_match));
        c.detach_match = 0;
        pass += ch;
    }
    if (in_w_ && !pass.empty()) write_all_fd(in_w_.get(), pass);
}

void Monitor::deliver_signal(int sig) {
    if (exited_ || pid_ <= 0) return;
    if (cfg_.runtime == "builtin") {
        try {
            rt_->kill(cfg_.container.id, sig, false);
            return;
        } catch (const Error&) {
        }
    }
    ::kill(pid_, sig);
}

void Monitor::handle_ctl(Client& c) {
    if (!c.lines.fill(c.ctl.get())) {
        c.ctl.reset();
        c.in.reset();
        c.out.reset();
        c.err.reset();
        c.detached = true;
        return;
    }
    process_lines(c);
}

void Monitor::process_lines(Client& c) {
    std::string line;
    while (c.lines.next(line)) {
        auto words = str::split(line, ' ');
        if (words[0] == "resize" && words.size() == 3 && console_) {
            struct winsize ws {};
            ws.ws_row = static_cast<unsigned short>(std::atoi(words[1].c_str()));
            ws.ws_col = static_cast<unsigned short>(std::atoi(words[2].c_str()));
            ::ioctl(console_.get(), TIOCSWINSZ, &ws);
        } else if (words[0] == "kill" && words.size() == 2) {
            deliver_signal(std::atoi(words[1].c_str()));
        } else if (words[0] == "stop" && words.size() == 2) {
            stopped_by_user_ = true;
            deliver_signal(std::atoi(words[1].c_str()));
        } else if (words[0] == "status") {
            tell(c, exited_ ? "exit " + std::to_string(exit_status_) : "started " + std::to_string(pid_));
        }
    }
}

void Monitor::accept_client() {
    UniqueFd s(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!s) return;
    std::vector<UniqueFd> fds;
    std::string got = unixsock::recv(s.get(), &fds);
    auto c = std::make_unique<Client>();
    // Commands may arrive in the same read as the greeting.
    auto nl = got.find('\n');
    std::string hello = got.substr(0, nl);
    if (nl != std::string::npos) c->lines.push(got.substr(nl + 1));
    // "attach STDIN STDOUT STDERR" flags say which descriptors follow.
    auto words = str::split(str::trim(hello), ' ');
    size_t next = 0;
    c->detach_seq = detach_seq_;
    if (words.size() == 5) c->detach_seq = words[4] == "-" ? "" : parse_detach_keys(words[4]);
    if (words.size() >= 4 && words[0] == "attach") {
        if (words[1] == "1" && next < fds.size()) c->in = std::move(fds[next++]);
        if (words[2] == "1" && next < fds.size()) c->out = std::move(fds[next++]);
        if (words[3] == "1" && next < fds.size()) c->err = std::move(fds[next++]);
    }
    c->ctl = std::move(s);
    tell(*c, exited_ ? "exit " + std::to_string(exit_status_) : "started " + std::to_string(pid_));
    clients_.push_back(std::move(c));
    process_lines(*clients_.back());
}

void Monitor::loop() {
    while (!exited_) {
        std::vector<pollfd> pfds;
        std::vector<std::function<void()>> handlers;
        auto add = [&](int fd, std::function<void()> h) {
            if (fd < 0) return;
            pfds.push_back({fd, POLLIN, 0});
            handlers.push_back(std::move(h));
        };
        add(sigfd_.get(), [&] {
            struct signalfd_siginfo si;
            while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGCHLD) {
                    int st;
                    pid_t p;
                    while ((p = ::waitpid(-1, &st, WNOHANG)) > 0) {
                        if (p == pid_) {
                            if (external_.pid() == p) external_.release();
                            exited_ = true;
                            exit_status_ = shell_status(st);
                        }
                    }
                } else {
                    deliver_signal(static_cast<int>(si.ssi_signo));
                }
            }
        });
        add(out_r_.get(), [&] { handle_output(out_r_.get(), false); });
        add(err_r_.get(), [&] { handle_output(err_r_.get(), true); });
        add(console_.get(), [&] { handle_output(console_.get(), false); });
        add(listener_.get(), [&] { accept_client(); });
        for (auto& c : clients_) {
            Client* cp = c.get();
            if (c->ctl) add(c->ctl.get(), [this, cp] { handle_ctl(*cp); });
            if (c->in && !c->detached) add(c->in.get(), [this, cp] { handle_client_input(*cp); });
        }
        // A container that keeps running leaves the monitor relaying and
        // waiting: after a second of that, the small skiff-monitor takes
        // over (issue 6's memory target), or, without it, the pages of
        // start-up code are let go. Not sooner: a short-lived container's
        // exit must not wait for it.
        int n = ::poll(pfds.data(), pfds.size(), pages_released_ ? -1 : 1000);
        if (n == 0 && !pages_released_) {
            pages_released_ = true;
            hand_off();  // returns only when it could not
            memory::release_startup_pages();
            continue;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll");
        }
        for (size_t i = 0; i < pfds.size(); ++i)
            if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) handlers[i]();
        clients_.erase(std::remove_if(clients_.begin(), clients_.end(), [](auto& c) { return !c->ctl; }),
                       clients_.end());
    }
    // Drain what the container wrote before it died.
    for (int round = 0; round < 1000 && (out_r_ || err_r_ || console_); ++round) {
        std::vector<pollfd> pfds;
        for (int fd : {out_r_.get(), err_r_.get(), console_.get()})
            if (fd >= 0) pfds.push_back({fd, POLLIN, 0});
        if (::poll(pfds.data(), pfds.size(), 200) <= 0) break;
        for (auto& p : pfds)
            if (p.revents) handle_output(p.fd, p.fd == err_r_.get());
    }
    out_r_.reset();
    err_r_.reset();
    console_.reset();
    in_w_.reset();
}

bool Monitor::should_restart(int status) {
    const auto& r = cfg_.container.spec.restart;
    if (stopped_by_user_) return false;
    if (r.name == "always" || r.name == "unless-stopped") return true;
    if (r.name == "on-failure") return status != 0 && (r.max_retries == 0 || cfg_.container.restart_count < r.max_retries);
    return false;
}

void Monitor::remove_container() {
    records_.remove(cfg_.container.id);
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
    records_.set_exited(cfg_.container.id, status, timeutil::now_ns());
}

int Monitor::run() {
    prepare();
    return supervise(false);
}

// Starts the container and follows it until no restart is due; resumed:
// the container already ran and exited under skiff-monitor.
int Monitor::supervise(bool resumed) {
    for (;;) {
        if (!resumed) {
            exited_ = false;
            started_ns_ = timeutil::now_ns();
            try {
                start_once();
            } catch (const Error& e) {
                for (auto& c : clients_) tell(*c, std::string("error ") + e.what());
                net_->release();
                records_.set_exited(cfg_.container.id, kExitCannotInvoke, timeutil::now_ns());
                fs::write_volatile(cfg_.paths.exit_file(), std::to_string(kExitCannotInvoke) + "\n");
                if (cfg_.container.spec.remove) remove_container();
                return kExitEngine;
            }
            loop();
        }
        resumed = false;
        finish(exit_status_);
        if (!should_restart(exit_status_)) break;
        records_.bump_restart(cfg_.container.id);
        ++cfg_.container.restart_count;
        // Docker's back-off: doubling from 100 ms, reset after 10 s of running.
        if (timeutil::now_ns() - started_ns_ > 10'000'000'000LL) backoff_ms_ = 100;
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms_));
        backoff_ms_ = std::min(backoff_ms_ * 2, 60000);
        if (stopped_by_user_) break;
    }
    net_->release();
    if (cfg_.container.spec.remove) remove_container();
    for (auto& c : clients_) tell(*c, "exit " + signal_exit_text(exit_status_));
    return 0;
}

// Issue 6: this process (the forked skiff, megabytes of code and
// relocations) becomes skiff-monitor, which needs well under 1 MiB. What it
// cannot know travels in the handoff file for `__monitor-resume`. An
// external runtime's `run` process and slirp4netns's exit pipe are not
// handed over: those containers keep the big monitor.
void Monitor::hand_off() {
    if (cfg_.runtime != "builtin" || external_.pid() > 0 || net_->helper() == "slirp4netns" || exited_) return;
    std::string program = find_idle_monitor();
    if (program.empty()) return;
    std::string file = handoff_file(cfg_.paths);
    std::vector<int> fds = {out_r_.get(), err_r_.get(), console_.get(), in_w_.get(), listener_.get()};
    try {
        Json state = monitor_config_to_json(cfg_);
        state["started_ns"] = started_ns_;
        state["backoff_ms"] = backoff_ms_;
        fs::write_volatile(file, state.dump());
        std::vector<std::string> argv = {program,
                                         "state=" + file,
                                         "skiff=" + self_exe(),
                                         "pid=" + std::to_string(pid_),
                                         "out=" + std::to_string(out_r_.get()),
                                         "err=" + std::to_string(err_r_.get()),
                                         "console=" + std::to_string(console_.get()),
                                         "in=" + std::to_string(in_w_.get()),
                                         "listener=" + std::to_string(listener_.get()),
                                         "log=" + cfg_.log_driver,
                                         "log_path=" + cfg_.paths.log(),
                                         "log_max=" + std::to_string(cfg_.log_max_size),
                                         "keys=" + idle::to_hex(detach_seq_),
                                         std::string("stopped=") + (stopped_by_user_ ? "1" : "0")};
        if (cfg_.log_driver == "journald") {
            const auto& c = cfg_.container;
            argv.push_back("journal_id=" + c.id);
            argv.push_back("journal_name=" + c.name);
            argv.push_back("journal_tag=" + journal_tag_of(c));
        }
        for (auto& c : clients_) {
            idle::ClientSpec cs{c->ctl.get(), c->in.get(), c->out.get(), c->err.get(), c->detached, c->detach_seq};
            argv.push_back("client=" + idle::encode_client(cs));
            for (int fd : {cs.ctl, cs.in, cs.out, cs.err}) fds.push_back(fd);
        }
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
    detach_seq_ = parse_detach_keys(cfg_.detach_keys);
    // Descriptors are ours again; none may leak into a restart's runtime.
    auto own = [](const std::string& v) {
        int fd = std::atoi(v.c_str());
        if (fd < 0) return UniqueFd();
        set_inheritable(fd, false);
        return UniqueFd(fd);
    };
    exited_ = true;
    for (size_t i = 1; i < words.size(); ++i) {
        std::string v;
        idle::ClientSpec cs;
        if (idle::word_value(words[i], "exit", v)) {
            exit_status_ = std::atoi(v.c_str());
        } else if (idle::word_value(words[i], "stopped", v)) {
            stopped_by_user_ = v == "1";
        } else if (idle::word_value(words[i], "listener", v)) {
            listener_ = own(v);
        } else if (idle::word_value(words[i], "client", v) && idle::decode_client(v, cs)) {
            auto cl = std::make_unique<Client>();
            cl->ctl = own(std::to_string(cs.ctl));
            cl->in = own(std::to_string(cs.in));
            cl->out = own(std::to_string(cs.out));
            cl->err = own(std::to_string(cs.err));
            cl->detached = cs.detached;
            cl->detach_seq = cs.detach_seq;
            clients_.push_back(std::move(cl));
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
