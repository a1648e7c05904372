// The relaying half of a container's monitor, shared by the full monitor
// (container/monitor.cpp, while it is the container's parent) and the idle
// skiff-monitor (monitor_idle/main.cpp, after the handoff): the
// container's output to the log and attached clients, client input to the
// container with detach keys, the attach socket's protocol, signals
// forwarded — until the container exits and its output is drained.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "container/logs.hpp"
#include "monitor_idle/protocol.hpp"
#include "util/fd.hpp"
#include "util/unixsock.hpp"

namespace skiff::container {

// A client of the attach socket (attach, start -a, run in the foreground).
struct RelayClient {
    UniqueFd ctl;
    UniqueFd in, out, err;
    bool detached = false;
    size_t detach_match = 0;
    std::string detach_seq;
    unixsock::LineReader lines;
};

// Across the execs of the hand-off (monitor_idle/protocol.hpp): a client
// taken over from its SPEC (its descriptors close-on-exec again), and the
// client=SPEC words of all clients, with the descriptors to keep open.
std::unique_ptr<RelayClient> adopt_client(const idle::ClientSpec& spec);
void add_client_words(const std::vector<std::unique_ptr<RelayClient>>& clients, std::vector<std::string>& words,
                      std::vector<int>& fds);

class Relay {
public:
    pid_t pid = -1;  // the container's init, the monitor's child
    UniqueFd out_r, err_r, console, in_w, listener;
    // SIGCHLD, SIGTERM, SIGINT, SIGHUP; made by run() when not given (a
    // monitor opens it before the container starts, to miss no SIGCHLD).
    UniqueFd sigfd;
    std::unique_ptr<LogWriter> log;
    std::string detach_seq;  // for clients that name no keys
    bool stopped_by_user = false;
    std::vector<std::unique_ptr<RelayClient>> clients;
    size_t read_size = 16384;  // per read of the container's output
    // How a signal reaches the container; kill(2) of `pid` when unset.
    std::function<void(int)> deliver;
    // Called once after the first `idle_ms` without an event; -1: never.
    int idle_ms = -1;
    std::function<void()> on_idle;

    // Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP for sigfd.
    static UniqueFd open_signals();

    // A new container process to follow (a start, a restart).
    void follow(pid_t p);
    // The container ended while another process watched it (the handoff).
    void set_exited(int status);
    bool exited() const { return exited_; }
    int exit_status() const { return exit_status_; }
    void tell_all(const std::string& msg);

    // Returns the container's exit status (shell style) once it exited.
    int run();

private:
    void handle_signals();
    void reap();
    void handle_output(int fd, bool is_stderr);
    void handle_client_input(RelayClient& c);
    void handle_ctl(RelayClient& c);
    void process_lines(RelayClient& c);
    void accept_client();
    void deliver_signal(int sig);
    void drain();
    // "started PID" or "exit STATUS": the answer to a greeting and to "status".
    std::string state_line() const;

    std::string buf_;
    bool exited_ = false;
    int exit_status_ = 0;
};

}  // namespace skiff::container
