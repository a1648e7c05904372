// Container lifecycle behind the container commands.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "container/record.hpp"
#include "container/spec.hpp"
#include "engine/engine.hpp"
#include "util/fd.hpp"
#include "util/json.hpp"
#include "util/unixsock.hpp"

namespace skiff::engine {

// Creates the record and its directories; pulls nothing (the caller
// resolved the image).
container::Container create_container(Engine& e, container::ContainerSpec spec, const image::Image& img,
                                      const std::string& name);

// How a client is attached while starting: its descriptors go to the monitor.
struct AttachFds {
    bool attach = false;
    int in = -1, out = -1, err = -1;
    std::string detach_keys = "ctrl-p,ctrl-q";
};
struct Session {
    UniqueFd ctl;  // messages from the monitor: started/exit/detached/error
    pid_t monitor = -1;
    unixsock::LineReader lines;  // what arrived after "started"
};
// Starts the monitor (which mounts, starts and watches the container).
// Returns once the container runs (or failed to start: Error).
Session start_container(Engine& e, const container::Container& c, const AttachFds& attach);

// Waits for "exit N" or "detached" on a session; forwards SIGWINCH as
// resize and, with sig_proxy, SIGINT/SIGTERM/… to the container.
struct WaitResult {
    bool detached = false;
    int exit_code = 0;
};
WaitResult wait_session(Session& s, bool sig_proxy, int tty_fd);

// Reconciles records with reality: a monitor that is gone (kill -9, a
// reboot) means the container exited. Returns the fresh record.
container::Container refresh(Engine& e, const container::Container& c);
container::Container find_container(Engine& e, const std::string& ref);
std::vector<container::Container> list_containers(Engine& e);

// Sends a signal through the monitor.
void kill_container(Engine& e, const container::Container& c, int sig);
// Docker's stop: `sig` (0: the container's stop signal, the image's, or
// SIGTERM), then SIGKILL after `timeout` seconds.
void stop_container(Engine& e, const container::Container& c, int timeout, int sig = 0);
// Removes a stopped container (force: stop it first). `volumes` is kept
// for anonymous volumes (the volumes issue).
// False once the container has stopped or is gone (a --rm container's
// monitor removes its record as it exits).
bool still_running(Engine& e, const std::string& id);
void remove_container(Engine& e, const container::Container& c, bool force);
// What a command killed between its steps leaves of a container that has
// no record: its directories and lock file (a create killed before its
// record was written, an rm killed after removing it). Run by the prunes,
// in the storage namespace.
void remove_orphaned_container_files(Engine& e);
// Waits until the container is not running; returns its exit code.
int wait_container(Engine& e, const std::string& id, const std::string& condition);

// Docker's inspect object for a container.
Json inspect_container(Engine& e, const container::Container& c);
// A `ps` row.
Json ps_row(Engine& e, const container::Container& c, bool no_trunc, bool size);

// "Up 5 minutes", "Exited (0) 2 seconds ago", "Created".
std::string status_text(const container::Container& c, int64_t now);

int parse_signal(const std::string& s);

// Runs a command in a running container (exec). Returns its exit code.
struct ExecRequest {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string user, workdir;
    bool tty = false, interactive = false, detach = false, privileged = false;
};
int exec_in_container(Engine& e, const container::Container& c, const ExecRequest& req);

}  // namespace skiff::engine
