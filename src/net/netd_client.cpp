#include "net/netd_client.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/unixsock.hpp"

namespace skiff::net {

namespace {

UniqueFd open_lock(const NetdFiles& f) {
    fs::make_dirs(f.dir, 0700);
    UniqueFd fd(::open(f.lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw_errno("open " + f.lock());
    return fd;
}

void lock(int fd, int how) {
    while (::flock(fd, how) < 0)
        if (errno != EINTR) throw_errno("lock the network daemon's lock file");
}

// Reads the daemon's start-up report until it closes the pipe.
void wait_ready(int fd, const NetdFiles& f) {
    std::string text;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    text = str::trim(text);
    if (text == "ok") return;
    if (text.empty()) {
        auto log = str::trim(fs::read_file_if_exists(f.log()).value_or(""));
        text = log.empty() ? "it exited without a word" : log.substr(log.rfind('\n') == std::string::npos ? 0 : log.rfind('\n') + 1);
    }
    throw Error("the network daemon failed to start: " + text);
}

}  // namespace

pid_t running_netd(const NetdFiles& f) {
    auto text = fs::read_file_if_exists(f.pid_file());
    if (!text) return -1;
    pid_t pid = std::atoi(text->c_str());
    if (pid <= 0 || (::kill(pid, 0) < 0 && errno == ESRCH)) return -1;
    // A pid file that outlived its daemon (kill -9) names a reused pid at
    // worst: the socket answers only while the daemon lives.
    try {
        unixsock::connect_to(f.socket());
    } catch (const Error&) {
        return -1;
    }
    return pid;
}

NetdLease ensure_netd(const NetdFiles& f, const std::function<void(int)>& spawn) {
    NetdLease lease;
    lease.lock = open_lock(f);
    for (int attempt = 0; attempt < 3; ++attempt) {
        lock(lease.lock.get(), LOCK_SH);
        if ((lease.pid = running_netd(f)) > 0) return lease;
        // Not running: start it under the exclusive lock, so that two
        // starters do not make two daemons.
        lock(lease.lock.get(), LOCK_EX);
        if (running_netd(f) <= 0) {
            int p[2];
            if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
            UniqueFd r(p[0]), w(p[1]);
            spawn(w.get());
            w.reset();
            wait_ready(r.get(), f);
        }
        // Converting to shared is not atomic, but the daemon only quits
        // when it has no container, and we check again.
    }
    throw Error("the network daemon keeps quitting; see " + f.log());
}

void netd_request(const NetdFiles& f, const std::string& request, const std::vector<int>& fds) {
    UniqueFd s;
    try {
        s = unixsock::connect_to(f.socket());
    } catch (const Error&) {
        throw Error("the network daemon is not running (its socket " + f.socket() + " does not answer)");
    }
    timeval tv{10, 0};
    ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unixsock::send(s.get(), request + "\n", fds);
    std::string reply = str::trim(unixsock::recv(s.get()));
    if (reply == "ok") return;
    if (reply.rfind("error ", 0) == 0) throw Error(reply.substr(6));
    throw Error("the network daemon did not answer \"" + request.substr(0, request.find(' ')) + "\"" +
                (reply.empty() ? "" : ": " + reply));
}

}  // namespace skiff::net
