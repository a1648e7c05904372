// The OCI runtime-spec config.json (1.0–1.2, Linux) as plain structs.
//
// parse_spec() is the only place that looks at the JSON: it checks every
// field it knows and fails with an error naming the field
// ("config.json: process.args: must be a non-empty array"), so the rest of
// the runtime works on values that are already known to be well formed.
// Unknown properties are ignored, as the spec requires of runtimes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace skiff::oci {

// The versions of the runtime-spec this runtime implements.
inline constexpr const char* kOciVersionMin = "1.0.0";
inline constexpr const char* kOciVersionMax = "1.2.0";

struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<mode_t> umask;
    std::vector<gid_t> additional_gids;
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    int resource = 0;  // RLIMIT_NOFILE
    uint64_t soft = 0;
    uint64_t hard = 0;
};

// Capability sets as kernel numbers (CAP_CHOWN = 0 ...).
struct Capabilities {
    std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

struct IoPriority {
    int klass = 0;  // IOPRIO_CLASS_RT/BE/IDLE
    int priority = 0;
};

struct Scheduler {
    int policy = 0;  // SCHED_*
    int nice = 0;
    int priority = 0;
    uint64_t flags = 0;  // SCHED_FLAG_*
    uint64_t runtime = 0, deadline = 0, period = 0;
};

struct Process {
    bool terminal = false;
    std::optional<std::pair<unsigned, unsigned>> console_size;  // height, width
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;  // absent: leave caps as they are
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::string apparmor_profile;
    std::string selinux_label;
    std::optional<int> oom_score_adj;
    std::optional<IoPriority> io_priority;
    std::optional<Scheduler> scheduler;
    std::string cpu_affinity_initial, cpu_affinity_final;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;  // seconds
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
};

enum class NsType { user, mount, pid, ipc, uts, net, cgroup, time };

struct Namespace {
    NsType type = NsType::mount;
    std::string path;  // empty: create a new one
};

struct Device {
    char type = 'c';  // c, b, u (unbuffered char), p (fifo)
    std::string path;
    int64_t major = 0, minor = 0;
    std::optional<mode_t> file_mode;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};

struct DeviceRule {
    bool allow = false;
    char type = 'a';              // a, c, b
    std::optional<int64_t> major;  // absent: any (*)
    std::optional<int64_t> minor;
    std::string access = "rwm";
};

struct ThrottleDevice {
    int64_t major = 0, minor = 0;
    uint64_t rate = 0;
};

struct WeightDevice {
    int64_t major = 0, minor = 0;
    std::optional<uint16_t> weight, leaf_weight;
};

struct Resources {
    std::vector<DeviceRule> devices;
    // memory
    std::optional<int64_t> memory_limit, memory_reservation, memory_swap, memory_kernel,
        memory_kernel_tcp;
    std::optional<uint64_t> memory_swappiness;
    std::optional<bool> memory_disable_oom_killer, memory_use_hierarchy;
    // cpu
    std::optional<uint64_t> cpu_shares, cpu_period, cpu_burst, cpu_realtime_period;
    std::optional<int64_t> cpu_quota, cpu_realtime_runtime, cpu_idle;
    std::string cpu_cpus, cpu_mems;
    // pids
    std::optional<int64_t> pids_limit;
    // block io
    std::optional<uint16_t> blkio_weight, blkio_leaf_weight;
    std::vector<WeightDevice> blkio_weight_device;
    std::vector<ThrottleDevice> blkio_throttle_read_bps, blkio_throttle_write_bps,
        blkio_throttle_read_iops, blkio_throttle_write_iops;
    std::vector<std::pair<std::string, uint64_t>> hugepage_limits;  // pageSize, limit
    std::map<std::string, std::string> unified;
    bool network_requested = false;  // linux.resources.network: not supported
    bool rdma_requested = false;     // linux.resources.rdma: not supported

    // True when any limit (not just device rules) is asked for.
    bool has_limits() const;
};

struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;
    std::string op;  // SCMP_CMP_*
};

struct SeccompSyscall {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_*
    std::optional<unsigned> errno_ret;
    std::vector<SeccompArg> args;
};

struct Seccomp {
    std::string default_action;
    std::optional<unsigned> default_errno_ret;
    std::vector<std::string> architectures;  // SCMP_ARCH_*
    std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
    std::string listener_path;
    std::string listener_metadata;
    std::vector<SeccompSyscall> syscalls;
};

struct TimeOffset {
    int64_t secs = 0;
    uint32_t nanosecs = 0;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::optional<TimeOffset> time_monotonic, time_boottime;
    std::vector<Device> devices;
    std::string cgroups_path;
    std::optional<Resources> resources;
    std::map<std::string, std::string> sysctl;
    std::optional<Seccomp> seccomp;
    std::string rootfs_propagation;
    std::vector<std::string> masked_paths, readonly_paths;
    std::string mount_label;
    std::optional<unsigned long> personality;  // PER_LINUX / PER_LINUX32

    const Namespace* find_ns(NsType t) const;
    bool has_new_ns(NsType t) const {
        auto* n = find_ns(t);
        return n && n->path.empty();
    }
};

struct Spec {
    std::string oci_version;
    std::string root_path;  // as written (relative to the bundle or absolute)
    bool root_readonly = false;
    std::optional<Process> process;
    std::string hostname;
    std::string domainname;
    std::vector<Mount> mounts;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    Linux linux;
};

// Parses and validates; throws skiff::Error naming the offending field.
Spec parse_spec(const Json& config);
// Parses a process object (the `process` of config.json, or `exec --process`).
Process parse_process(const Json& process, const std::string& where = "process");

// Reads <bundle>/config.json and parses it.
Spec load_spec(const std::string& bundle);

// Name <-> number tables shared with the features command.
const char* ns_name(NsType t);
int ns_clone_flag(NsType t);
// "CAP_CHOWN" -> 0; -1 when unknown.
int cap_from_name(const std::string& name);
std::vector<std::string> all_cap_names();
std::vector<std::string> rlimit_names();

}  // namespace skiff::oci
