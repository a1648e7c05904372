// The idle monitor's loop: the same relaying as the big monitor's
// Monitor::loop (container/monitor.cpp) once the container runs — output
// to the log and attached clients, client input to the container with
// detach keys, the attach socket's protocol, signals forwarded — until the
// container exits and its output is drained.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "container/logs.hpp"
#include "monitor_idle/protocol.hpp"
#include "util/fd.hpp"
#include "util/unixsock.hpp"

namespace skiff::idle {

struct Client {
    UniqueFd ctl;
    UniqueFd in, out, err;
    bool detached = false;
    size_t detach_match = 0;
    std::string detach_seq;
    unixsock::LineReader lines;
};

class Relay {
public:
    pid_t pid = -1;
    UniqueFd out_r, err_r, console, in_w, listener;
    std::unique_ptr<container::LogWriter> log;
    std::string detach_seq;  // for clients that name no keys
    bool stopped_by_user = false;
    std::vector<std::unique_ptr<Client>> clients;

    // Returns the container's exit status (shell style) once it exited.
    int run();

private:
    void handle_signals();
    void reap();
    void handle_output(int fd, bool is_stderr);
    void handle_client_input(Client& c);
    void handle_ctl(Client& c);
    void process_lines(Client& c);
    void accept_client();
    void deliver_signal(int sig);
    void drain();

    UniqueFd sigfd_;
    bool exited_ = false;
    int exit_status_ = 0;
};

}  // namespace skiff::idle
