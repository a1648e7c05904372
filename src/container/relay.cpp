#include "container/relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "container/detach_keys.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::container {

namespace {

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

void tell(RelayClient& c, const std::string& msg) {
    if (!c.ctl) return;
    try {
        unixsock::send(c.ctl.get(), msg + "\n");
    } catch (const Error&) {
    }
}

int shell_status(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 255;
}

}  // namespace

std::unique_ptr<RelayClient> adopt_client(const idle::ClientSpec& spec) {
    auto own = [](int fd) {
        if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        return UniqueFd(fd);
    };
    auto c = std::make_unique<RelayClient>();
    c->ctl = own(spec.ctl);
    c->in = own(spec.in);
    c->out = own(spec.out);
    c->err = own(spec.err);
    c->detached = spec.detached;
    c->detach_seq = spec.detach_seq;
    return c;
}

void add_client_words(const std::vector<std::unique_ptr<RelayClient>>& clients, std::vector<std::string>& words,
                      std::vector<int>& fds) {
    for (auto& c : clients) {
        idle::ClientSpec cs{c->ctl.get(), c->in.get(), c->out.get(), c->err.get(), c->detached, c->detach_seq};
        words.push_back("client=" + idle::encode_client(cs));
        for (int fd : {cs.ctl, cs.in, cs.out, cs.err}) fds.push_back(fd);
    }
}

void Relay::reap() {
    int st;
    pid_t p;
    // The monitor is a subreaper: orphans of the container (and a network
    // helper's daemon) are reaped here too.
    while ((p = ::waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == pid) {
            exited_ = true;
            exit_status_ = shell_status(st);
        }
    }
}

void Relay::handle_signals() {
    struct signalfd_siginfo si;
    while (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) reap();
        else deliver_signal(static_cast<int>(si.ssi_signo));
    }
}

// Unreaped, the init is our own child: its pid cannot have been reused.
void Relay::deliver_signal(int sig) {
    if (exited_ || pid <= 0) return;
    if (deliver) deliver(sig);
    else ::kill(pid, sig);
}

void Relay::handle_output(int fd, bool is_stderr) {
    buf_.resize(read_size);
    ssize_t n = ::read(fd, buf_.data(), buf_.size());
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (fd == out_r.get()) out_r.reset();
        else if (fd == err_r.get()) err_r.reset();
        else if (fd == console.get()) console.reset();
        return;
    }
    std::string_view data(buf_.data(), static_cast<size_t>(n));
    log->write(is_stderr, data);
    for (auto& c : clients) {
        if (c->detached) continue;
        int target = is_stderr && c->err ? c->err.get() : c->out.get();
        if (target >= 0) write_all_fd(target, data);
    }
}

void Relay::handle_client_input(RelayClient& c) {
    char buf[4096];
    ssize_t n = ::read(c.in.get(), buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && errno == EINTR) return;
        c.in.reset();
        // The client's stdin ended: so does the container's (echo x | run -i).
        if (!console) in_w.reset();
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
    if (in_w && !pass.empty()) write_all_fd(in_w.get(), pass);
}

void Relay::handle_ctl(RelayClient& c) {
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

void Relay::process_lines(RelayClient& c) {
    std::string line;
    while (c.lines.next(line)) {
        auto words = str::split(line, ' ');
        if (words[0] == "resize" && words.size() == 3 && console) {
            struct winsize ws {};
            ws.ws_row = static_cast<unsigned short>(std::atoi(words[1].c_str()));
            ws.ws_col = static_cast<unsigned short>(std::atoi(words[2].c_str()));
            ::ioctl(console.get(), TIOCSWINSZ, &ws);
        } else if (words[0] == "kill" && words.size() == 2) {
            deliver_signal(std::atoi(words[1].c_str()));
        } else if (words[0] == "stop" && words.size() == 2) {
            stopped_by_user = true;
            deliver_signal(std::atoi(words[1].c_str()));
        } else if (words[0] == "status") {
            tell(c, state_line());
        }
    }
}

void Relay::accept_client() {
    UniqueFd s(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!s) return;
    std::vector<UniqueFd> fds;
    std::string got;
    try {
        got = unixsock::recv(s.get(), &fds);
    } catch (const Error&) {
        return;
    }
    auto c = std::make_unique<RelayClient>();
    // Commands may arrive in the same read as the greeting.
    auto nl = got.find('\n');
    std::string hello = got.substr(0, nl);
    if (nl != std::string::npos) c->lines.push(got.substr(nl + 1));
    // "attach STDIN STDOUT STDERR [KEYS]": the flags say which descriptors follow.
    auto words = str::split(str::trim(hello), ' ');
    size_t next = 0;
    c->detach_seq = detach_seq;
    try {
        if (words.size() == 5) c->detach_seq = words[4] == "-" ? "" : container::parse_detach_keys(words[4]);
    } catch (const Error&) {
        // attach checked the spec; a bad one keeps the default
    }
    if (words.size() >= 4 && words[0] == "attach") {
        if (words[1] == "1" && next < fds.size()) c->in = std::move(fds[next++]);
        if (words[2] == "1" && next < fds.size()) c->out = std::move(fds[next++]);
        if (words[3] == "1" && next < fds.size()) c->err = std::move(fds[next++]);
    }
    c->ctl = std::move(s);
    tell(*c, state_line());
    clients.push_back(std::move(c));
    process_lines(*clients.back());
}

void Relay::drain() {
    // What the container wrote before it died.
    for (int round = 0; round < 1000 && (out_r || err_r || console); ++round) {
        std::vector<pollfd> pfds;
        for (int fd : {out_r.get(), err_r.get(), console.get()})
            if (fd >= 0) pfds.push_back({fd, POLLIN, 0});
        if (::poll(pfds.data(), pfds.size(), 200) <= 0) break;
        for (auto& p : pfds)
            if (p.revents) handle_output(p.fd, p.fd == err_r.get());
    }
    out_r.reset();
    err_r.reset();
    console.reset();
    in_w.reset();
}

UniqueFd Relay::open_signals() {
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    UniqueFd fd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd) throw_errno("signalfd");
    return fd;
}

void Relay::follow(pid_t p) {
    pid = p;
    exited_ = false;
    exit_status_ = 0;
}

void Relay::set_exited(int status) {
    exited_ = true;
    exit_status_ = status;
}

void Relay::tell_all(const std::string& msg) {
    for (auto& c : clients) tell(*c, msg);
}

std::string Relay::state_line() const {
    return exited_ ? "exit " + std::to_string(exit_status_) : "started " + std::to_string(pid);
}

int Relay::run() {
    // After an exec (skiff-monitor) the blocked mask survived, the
    // signalfd did not; a SIGCHLD that came meanwhile is reaped below.
    if (!sigfd) sigfd = open_signals();
    reap();
    enum Kind { Signals, Out, Err, Console, Listener, Ctl, In };
    while (!exited_) {
        std::vector<pollfd> pfds;
        std::vector<std::pair<Kind, RelayClient*>> what;
        auto add = [&](int fd, Kind k, RelayClient* c = nullptr) {
            if (fd < 0) return;
            pfds.push_back({fd, POLLIN, 0});
            what.emplace_back(k, c);
        };
        add(sigfd.get(), Signals);
        add(out_r.get(), Out);
        add(err_r.get(), Err);
        add(console.get(), Console);
        add(listener.get(), Listener);
        for (auto& c : clients) {
            if (c->ctl) add(c->ctl.get(), Ctl, c.get());
            if (c->in && !c->detached) add(c->in.get(), In, c.get());
        }
        int n = ::poll(pfds.data(), pfds.size(), idle_ms);
        if (n == 0) {
            // The monitor's hand-off to skiff-monitor: returns only when it could not.
            idle_ms = -1;
            if (on_idle) on_idle();
            continue;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll");
        }
        for (size_t i = 0; i < pfds.size(); ++i) {
            if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            auto [kind, c] = what[i];
            switch (kind) {
                case Signals: handle_signals(); break;
                case Out: handle_output(out_r.get(), false); break;
                case Err: handle_output(err_r.get(), true); break;
                case Console: handle_output(console.get(), false); break;
                case Listener: accept_client(); break;
                case Ctl: handle_ctl(*c); break;
                case In: handle_client_input(*c); break;
            }
        }
        clients.erase(std::remove_if(clients.begin(), clients.end(), [](auto& c) { return !c->ctl; }),
                      clients.end());
    }
    drain();
    return exit_status_;
}

}  // namespace skiff::container
