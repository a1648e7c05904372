// container::Relay, the relaying half of both monitors: a real child
// process, pipes and signals, as a monitor has them.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "container/relay.hpp"
#include "util/fs.hpp"

using namespace skiff;

namespace {

// The relay blocks signals for its signalfd; the test process gets its mask back.
struct SavedMask {
    sigset_t old;
    SavedMask() { sigprocmask(SIG_SETMASK, nullptr, &old); }
    ~SavedMask() {
        // A SIGTERM the test raised and the relay read is gone; none is left pending.
        sigprocmask(SIG_SETMASK, &old, nullptr);
    }
};

std::string temp_dir() {
    char tmpl[] = "/tmp/skiff-relay-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    return tmpl;
}

// A child writing `text` to the pipe's write end, then exiting `status` (or
// waiting for a signal when status < 0).
pid_t child(int out_w, const std::string& text, int status) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        if (!text.empty() && write(out_w, text.data(), text.size()) < 0) _exit(99);
        if (status < 0) pause();
        _exit(status < 0 ? 98 : status);
    }
    return pid;
}

}  // namespace

TEST_CASE("relay: output to the log, and the exit of a child that ended before run()", "[relay]") {
    SavedMask mask;
    std::string dir = temp_dir();
    container::Relay r;
    r.sigfd = container::Relay::open_signals();  // before the child: its SIGCHLD is not lost
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    r.out_r = UniqueFd(p[0]);
    pid_t pid = child(p[1], "hello from the child\n", 3);
    close(p[1]);
    r.follow(pid);
    r.log = std::make_unique<container::LogWriter>(dir + "/ctr.log", "k8s-file", 0);
    usleep(50 * 1000);  // the child has exited: its SIGCHLD waits in the signalfd
    CHECK(r.run() == 3);
    CHECK(r.exited());
    r.log.reset();
    CHECK(fs::read_file(dir + "/ctr.log").find("stdout F hello from the child") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("relay: the idle hook once, signals through the deliver hook", "[relay]") {
    SavedMask mask;
    std::string dir = temp_dir();
    container::Relay r;
    r.sigfd = container::Relay::open_signals();
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    r.out_r = UniqueFd(p[0]);
    pid_t pid = child(p[1], "", -1);
    close(p[1]);
    r.follow(pid);
    r.log = std::make_unique<container::LogWriter>(dir + "/ctr.log", "k8s-file", 0);
    int idle = 0;
    std::vector<int> delivered;
    r.idle_ms = 50;
    r.on_idle = [&] {
        ++idle;
        kill(getpid(), SIGTERM);  // what `skiff stop` sends the monitor's process group
    };
    r.deliver = [&](int sig) {
        delivered.push_back(sig);
        kill(pid, SIGKILL);
    };
    CHECK(r.run() == 128 + SIGKILL);
    CHECK(idle == 1);
    CHECK(delivered == std::vector<int>{SIGTERM});
    // A second run (a restart) follows a new child; the idle hook stays spent.
    int q[2];
    REQUIRE(pipe2(q, O_CLOEXEC) == 0);
    r.out_r = UniqueFd(q[0]);
    pid_t again = child(q[1], "again\n", 0);
    close(q[1]);
    r.follow(again);
    CHECK_FALSE(r.exited());
    CHECK(r.run() == 0);
    CHECK(idle == 1);
    r.log.reset();
    CHECK(fs::read_file(dir + "/ctr.log").find("again") != std::string::npos);
    fs::remove_all(dir);
}
