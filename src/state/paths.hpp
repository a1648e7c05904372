// Where skiff keeps things. Nothing outside src/state builds store paths by
// hand: every other module asks a Paths for them.
#pragma once

#include <string>

namespace skiff::state {

struct PathOverrides {
    std::string root;     // --root
    std::string runroot;  // --runroot
    std::string config;   // --config
};

class Paths {
public:
    // Root paths when euid is 0, XDG paths otherwise.
    static Paths resolve(const PathOverrides& overrides);

    bool rootless() const { return rootless_; }
    const std::string& root() const { return root_; }        // images, layers, volumes, db
    const std::string& runroot() const { return runroot_; }  // sockets, mounts, locks
    const std::string& config_dir() const { return config_dir_; }
    // The skiff.conf actually read: --config, else the user's, else /etc/skiff's.
    const std::string& config_file() const { return config_file_; }
    bool config_file_explicit() const { return config_explicit_; }

    std::string database() const { return root_ + "/skiff.db"; }
    std::string blobs_dir() const { return root_ + "/blobs"; }
    std::string layers_dir() const { return root_ + "/layers"; }
    std::string containers_dir() const { return root_ + "/containers"; }
    std::string volumes_dir() const { return root_ + "/volumes"; }
    // A volume's directory and its content (Podman's layout); `name` is a
    // validated volume name (container/volume_opts.hpp).
    std::string volume_dir(const std::string& name) const { return volumes_dir() + "/" + name; }
    std::string volume_data(const std::string& name) const { return volume_dir(name) + "/_data"; }
    std::string tmp_dir() const { return root_ + "/tmp"; }
    std::string run_containers_dir() const { return runroot_ + "/containers"; }
    std::string runtime_state_dir() const { return runroot_ + "/runtime"; }
    std::string probe_cache_dir() const { return runroot_ + "/probe"; }
    std::string locks_dir() const { return runroot_ + "/locks"; }
    // The user-defined networks' daemon: its socket, lock, records, uplink.
    std::string netd_dir() const { return runroot_ + "/netd"; }

    // Creates root (0700 rootless) and runroot when missing.
    void ensure() const;

private:
    bool rootless_ = false;
    bool config_explicit_ = false;
    std::string root_, runroot_, config_dir_, config_file_;
};

// $XDG_RUNTIME_DIR, else /run/user/UID when it is ours and usable, else a
// private 0700 directory under /tmp.
std::string user_runtime_dir();

}  // namespace skiff::state
