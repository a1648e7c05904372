// Where a container's runtime state lives (<root>/<id>/) and what it says.
// The state directory holds state.json, a copy of config.json (for exec)
// and, between create and start, the exec fifo. The state root is a
// runtime directory (tmpfs, gone at reboot), so files are replaced
// atomically (temp + rename) but never fsync'ed: durability across a crash
// of the machine is meaningless for processes that died with it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/spec.hpp"
#include "util/json.hpp"

namespace skiff::oci {

enum class Status { creating, created, running, stopped };
const char* status_name(Status s);

struct ContainerState {
    std::string oci_version;
    std::string id;
    pid_t pid = 0;
    uint64_t pid_start_time = 0;  // /proc/<pid>/stat field 22, against pid reuse
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339 with nanoseconds
    std::string owner;
    std::map<std::string, std::string> annotations;
    // Private to the runtime.
    std::vector<std::string> cgroup_dirs;
    std::vector<std::string> cgroup_created;  // of cgroup_dirs, those to remove
    bool own_pid_ns = false;
    bool rootless = false;
    bool no_pivot = false;
    std::vector<Hook> poststart, poststop;
    Status status = Status::creating;  // computed on load, never stored
};

// The state as `runc state` prints it (pid 0 once stopped).
Json state_json(const ContainerState& s);
// The state given to hooks on stdin (runtime-spec "state" with the status
// the hook kind calls for).
std::string hook_state(const ContainerState& s, Status status);

// Rejects ids that could escape the state root ("", ".", "..", "/").
void validate_id(const std::string& id);

// "/run/skiff-runtime" as root, "$XDG_RUNTIME_DIR/skiff-runtime" for a user
// (also root of a nested user namespace, as in podman's rootless mode).
std::string default_state_root();

class StateStore {
public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}
    const std::string& root() const { return root_; }
    std::string dir(const std::string& id) const;
    std::string fifo_path(const std::string& id) const { return dir(id) + "/exec.fifo"; }
    std::string config_path(const std::string& id) const { return dir(id) + "/config.json"; }

    // Claims the id: mkdir fails if a container with it exists.
    void create_dir(const std::string& id) const;
    void save(const ContainerState& s) const;
    // Throws NotFound when there is no such container.
    ContainerState load(const std::string& id) const;
    void remove(const std::string& id) const;
    std::vector<std::string> list() const;

private:
    std::string root_;
};

// /proc/<pid>/stat: start time, or nullopt if the process is gone or a zombie.
std::optional<uint64_t> process_start_time(pid_t pid);
// Alive and the same process (start time matches).
bool process_alive(pid_t pid, uint64_t start_time);

// Writes `content` to `path` via a temp file and rename, without fsync.
void write_file_replace(const std::string& path, const std::string& content, mode_t mode = 0600);

}  // namespace skiff::oci
