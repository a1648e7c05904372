// Container records in the state database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "container/spec.hpp"
#include "state/db.hpp"
#include "state/paths.hpp"

namespace skiff::container {

struct Container {
    std::string id;
    std::string name;
    std::string image_id;
    std::string image_name;
    int64_t created = 0;
    ContainerSpec spec;
    std::string state = "created";  // created | running | paused | exited | stopping | removing
    int pid = 0;
    int monitor_pid = 0;
    int exit_code = 0;
    int64_t started_at = 0;
    int64_t finished_at = 0;
    int restart_count = 0;
    std::string boot_id;
    std::string error;  // State.Error: why it ended, when not by its own exit

    bool running() const { return state == "running" || state == "paused" || state == "stopping"; }
};

// Where a container's files are. Nothing else builds these paths.
struct ContainerPaths {
    std::string userdata;  // root/containers/ID: upper, work, logs, config
    std::string rundir;    // runroot/containers/ID: bundle, sockets, exit file
    std::string upper() const { return userdata + "/upper"; }
    std::string work() const { return userdata + "/work"; }
    std::string log() const { return userdata + "/ctr.log"; }
    std::string bundle() const { return rundir + "/bundle"; }
    std::string rootfs() const { return rundir + "/bundle/rootfs"; }
    std::string exit_file() const { return rundir + "/exit"; }
    std::string attach_socket() const { return rundir + "/attach"; }
    std::string ctl_socket() const { return rundir + "/ctl"; }
    // Held by whoever starts or removes the container (commands and its
    // monitor): beside rundir, which removal deletes.
    std::string lock_file() const { return rundir + ".lock"; }
};
ContainerPaths container_paths(const state::Paths& p, const std::string& id);

class Records {
public:
    explicit Records(state::Database& db) : db_(db) {}

    // Inserts a new record; with an empty name a random one is drawn (and
    // redrawn on a clash). A taken name is an error naming the holder.
    void insert(Container& c, bool name_given);
    std::optional<Container> get(const std::string& id);
    // By name, full ID or unique ID prefix.
    Container resolve(const std::string& ref);
    std::vector<Container> list();
    void remove(const std::string& id);
    void rename(const std::string& id, const std::string& name);

    void set_running(const std::string& id, int pid, int monitor_pid, int64_t started_at, const std::string& boot_id);
    void set_monitor(const std::string& id, int monitor_pid, const std::string& boot_id);
    void set_state(const std::string& id, const std::string& state);
    // `error`: why it ended when not by its own exit (inspect's State.Error).
    void set_exited(const std::string& id, int exit_code, int64_t finished_at, const std::string& error = "");
    void bump_restart(const std::string& id);

private:
    Container read(state::Statement& st);
    state::Database& db_;
};

}  // namespace skiff::container
