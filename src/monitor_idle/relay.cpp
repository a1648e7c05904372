#include "monitor_idle/relay.hpp"

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

namespace skiff::idle {

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

void tell(Client& c, const std::string& msg) {
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
    while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) reap();
        else deliver_signal(static_cast<int>(si.ssi_signo));
    }
}

// The builtin runtime's kill signals the container's init through a pidfd
// after checking it is still the container's; here the init is our own
// unreaped child, so its pid cannot have been reused.
void Relay::deliver_signal(int sig) {
    if (exited_ || pid <= 0) return;
    ::kill(pid, sig);
}

void Relay::handle_output(int fd, bool is_stderr) {
    char buf[16384];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (fd == out_r.get()) out_r.reset();
        else if (fd == err_r.get()) err_r.reset();
        else if (fd == console.get()) console.reset();
        return;
    }
    std::string_view data(buf, static_cast<size_t>(n));
    log->write(is_stderr, data);
    for (auto& c : clients) {
        if (c->detached) continue;
        int target = is_stderr && c->err ? c->err.get() : c->out.get();
        if (target >= 0) write_all_fd(target, data);
    }
}

void Relay::handle_client_input(Client& c) {
    char buf[4096];
    ssize_t n = ::read(c.in.get(), buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && errno == EINTR) return;
        c.in.reset();
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

void Relay::handle_ctl(Client& c) {
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

void Relay::process_lines(Client& c) {
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
            tell(c, exited_ ? "exit " + std::to_string(exit_status_) : "started " + std::to_string(pid));
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
    auto c = std::make_unique<Client>();
    auto nl = got.find('\n');
    std::string hello = got.substr(0, nl);
    if (nl != std::string::npos) c->lines.push(got.substr(nl + 1));
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
    tell(*c, exited_ ? "exit " + std::to_string(exit_status_) : "started " + std::to_string(pid));
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

int Relay::run() {
    // The blocked mask survived execve; the big monitor's signalfd did not.
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sigfd_ = UniqueFd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd_) throw_errno("signalfd");
    // A SIGCHLD that arrived while the big monitor exec'd us.
    reap();
    enum Kind { Signals, Out, Err, Console, Listener, Ctl, In };
    while (!exited_) {
        std::vector<pollfd> pfds;
        std::vector<std::pair<Kind, Client*>> what;
        auto add = [&](int fd, Kind k, Client* c = nullptr) {
            if (fd < 0) return;
            pfds.push_back({fd, POLLIN, 0});
            what.emplace_back(k, c);
        };
        add(sigfd_.get(), Signals);
        add(out_r.get(), Out);
        add(err_r.get(), Err);
        add(console.get(), Console);
        add(listener.get(), Listener);
        for (auto& c : clients) {
            if (c->ctl) add(c->ctl.get(), Ctl, c.get());
            if (c->in && !c->detached) add(c->in.get(), In, c.get());
        }
        if (::poll(pfds.data(), pfds.size(), -1) < 0) {
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

}  // namespace skiff::idle
