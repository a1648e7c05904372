// The per-container monitor (our conmon): runs in a forked child, in the
// container's user and mount namespaces; mounts the root filesystem, starts
// the container through the runtime, relays its stdio to the log and to
// attached clients, records the exit and applies the restart policy.
#pragma once

#include <string>

#include "container/detach_keys.hpp"
#include "container/record.hpp"
#include "container/volume_mount.hpp"
#include "layers/driver.hpp"
#include "util/json.hpp"

namespace skiff::container {

// The container's root filesystem, made by the store's storage driver. The
// engine picks the driver (it has the database); the monitor mounts it in
// its own mount namespace and binds it at ContainerPaths::rootfs().
struct RootfsPlan {
    layers::DriverKind driver = layers::DriverKind::Overlay;
    layers::DriverOptions options;     // store_driver_options(), made inside the namespace
    std::vector<std::string> layers;   // the image's extracted layers, lowest first
    std::string container_dir;         // ContainerPaths::userdata: upper/, work/, merged/ or rootfs/
};

struct MonitorConfig {
    Container container;
    ContainerPaths paths;
    std::string database;
    std::string runtime_root;
    std::string runtime = "builtin";  // builtin, or a runc-compatible program
    RootfsPlan rootfs;
    std::vector<VolumeMount> volumes;
    Json image_config;
    std::string log_driver = "k8s-file";
    int64_t log_max_size = 0;
    bool userns = false;
    bool full_id_map = true;
    std::string detach_keys = "ctrl-p,ctrl-q";
    std::string network_helper;  // skiff.conf's choice for private networks ("" = detect)
    std::vector<std::string> default_capabilities;  // skiff.conf's
    // --ipc/--pid/--uts container:X: the pid whose namespace to join, by type.
    std::map<std::string, int> join_pids;
    // User-defined networks: the network daemon and the container's record
    // for it (net::NetworkRequest).
    std::string netd_dir;
    int netd_pid = -1;
    Json network_record;
    std::string uplink_gateway;
    // The first attached client (foreground run, start -a): its control
    // socket and its stdin (when -i), stdout and stderr.
    int client_ctl = -1;
    int client_fds[3] = {-1, -1, -1};
};

// Never returns to the caller's stack: its result is the child's exit status.
int run_monitor(MonitorConfig cfg);

// The monitor exec'd skiff-monitor and that exec'd `skiff __monitor-resume
// FILE WORDS...` once the container exited (container/handoff.hpp): finishes
// as run_monitor would have. Its result is the process's exit status.
int resume_monitor(const std::vector<std::string>& words);

}  // namespace skiff::container
