// skiff-monitor: the idle monitor of one running container (issue 6: the
// monitor at <= 1 MiB RSS). Not run by users: the monitor (our conmon,
// container/monitor.cpp) execs it once the container runs, handing over its
// descriptors (monitor_idle/protocol.hpp). Same process, so it stays the
// container's parent and subreaper, in the same namespaces. When the
// container exited it execs `skiff __monitor-resume`, which records the
// exit, tears down and applies the restart policy.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>

#include "container/journald.hpp"
#include "container/relay.hpp"
#include "monitor_idle/protocol.hpp"
#include "util/memory.hpp"

extern char** environ;

namespace {

using namespace skiff;

struct Words {
    std::string state, skiff, log_driver = "k8s-file", log_path, journal_id, journal_name, journal_tag;
    int64_t log_max = 0;
    std::vector<idle::ClientSpec> clients;
};

UniqueFd own(const std::string& v) {
    int fd = std::atoi(v.c_str());
    if (fd < 0) return UniqueFd();
    // Ours from here on: a container's runtime is never started from this
    // process, but nothing of it may leak into skiff's children either.
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return UniqueFd(fd);
}

// When skiff cannot be exec'd the container's end must still be known:
// the exit file is what `ps` and `wait` read for a monitor that is gone.
[[noreturn]] void give_up(const Words& w, int status) {
    std::string dir = w.state.substr(0, w.state.rfind('/'));
    std::string text = std::to_string(status) + "\n";
    int fd = ::open((dir + "/exit").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (::write(fd, text.data(), text.size()) < 0) {
        }
        ::close(fd);
    }
    ::_exit(125);
}

int run(int argc, char** argv) {
    Words w;
    container::Relay r;
    for (int i = 1; i < argc; ++i) {
        std::string_view word = argv[i];
        std::string v;
        idle::ClientSpec cs;
        if (idle::word_value(word, "state", v)) w.state = v;
        else if (idle::word_value(word, "skiff", v)) w.skiff = v;
        else if (idle::word_value(word, "pid", v)) r.pid = std::atoi(v.c_str());
        else if (idle::word_value(word, "out", v)) r.out_r = own(v);
        else if (idle::word_value(word, "err", v)) r.err_r = own(v);
        else if (idle::word_value(word, "console", v)) r.console = own(v);
        else if (idle::word_value(word, "in", v)) r.in_w = own(v);
        else if (idle::word_value(word, "listener", v)) r.listener = own(v);
        else if (idle::word_value(word, "log", v)) w.log_driver = v;
        else if (idle::word_value(word, "log_path", v)) w.log_path = v;
        else if (idle::word_value(word, "log_max", v)) w.log_max = std::atoll(v.c_str());
        else if (idle::word_value(word, "keys", v)) r.detach_seq = idle::from_hex(v);
        else if (idle::word_value(word, "stopped", v)) r.stopped_by_user = v == "1";
        else if (idle::word_value(word, "journal_id", v)) w.journal_id = v;
        else if (idle::word_value(word, "journal_name", v)) w.journal_name = v;
        else if (idle::word_value(word, "journal_tag", v)) w.journal_tag = v;
        else if (idle::word_value(word, "client", v) && idle::decode_client(v, cs))
            r.clients.push_back(container::adopt_client(cs));
        else {
            std::fprintf(stderr, "skiff-monitor: unknown word %s (it is started by skiff's monitor only)\n", argv[i]);
            return 125;
        }
    }
    if (w.state.empty() || w.skiff.empty() || r.pid <= 0) {
        std::fprintf(stderr, "skiff-monitor: it is started by skiff's monitor only\n");
        return 125;
    }
    int status = 0;
    try {
        r.log = std::make_unique<container::LogWriter>(w.log_path, w.log_driver, w.log_max);
        if (w.log_driver == "journald") r.log->use_journal(w.journal_id, w.journal_name, w.journal_tag);
        // What parsing the words and opening the log touched is not needed
        // again while the container runs.
        memory::release_startup_pages();
        status = r.run();
    } catch (const std::exception& e) {
        // Not knowing the exit status (poll failed) is not a reason to lose
        // the container: its end is left to skiff's fault handling.
        std::fprintf(stderr, "skiff-monitor: %s\n", e.what());
        return 125;
    }
    std::vector<std::string> args = {w.skiff, idle::kResumeCommand, w.state, "exit=" + std::to_string(status),
                                     std::string("stopped=") + (r.stopped_by_user ? "1" : "0"),
                                     "listener=" + std::to_string(r.listener.get())};
    std::vector<int> keep = {r.listener.get()};
    container::add_client_words(r.clients, args, keep);
    for (int fd : keep)
        if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
    std::vector<char*> raw;
    for (auto& a : args) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execve(w.skiff.c_str(), raw.data(), environ);
    std::fprintf(stderr, "skiff-monitor: exec %s: %s\n", w.skiff.c_str(), std::strerror(errno));
    give_up(w, status);
}

}  // namespace

int main(int argc, char** argv) {
    // A client that went away must not kill the monitor mid-write.
    ::signal(SIGPIPE, SIG_IGN);
    return run(argc, argv);
}
