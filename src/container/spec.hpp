// What the user asked for at `create`/`run`, as a plain value. It is stored
// with the container (JSON) and turned into an OCI config at each start.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace skiff::container {

struct MountSpec {
    std::string type;  // bind | tmpfs | volume
    std::string source;
    std::string destination;
    std::vector<std::string> options;  // ro, rw, nosuid, size=…, z/Z accepted
};

struct RestartPolicy {
    std::string name = "no";  // no | on-failure | always | unless-stopped
    int max_retries = 0;
};

struct ContainerSpec {
    std::string image_ref;  // what the user typed
    std::vector<std::string> entrypoint;
    std::vector<std::string> command;
    bool entrypoint_set = false;  // --entrypoint given ("" clears the image's)
    std::vector<std::string> env;  // KEY=VALUE, user's, merged over the image's at start
    std::string workdir;
    std::string user;
    std::string hostname;
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;
    std::vector<MountSpec> mounts;
    std::vector<std::string> volumes_from;  // --volumes-from CTR[:ro|rw], as given
    bool read_only = false;
    std::vector<std::string> cap_add, cap_drop;
    bool privileged = false;
    bool no_new_privileges = false;
    std::string seccomp_profile;  // "" default, "unconfined", or a file's JSON
    bool label_disable = false;
    std::vector<std::string> ulimits;  // name=soft[:hard]
    int64_t memory = 0, memory_swap = 0, pids_limit = 0, cpu_shares = 0, shm_size = 0;
    double cpus = 0;
    std::string cpuset_cpus;
    std::vector<std::string> devices;  // host[:container[:perms]]
    std::vector<std::string> group_add;
    std::map<std::string, std::string> sysctls;
    std::string userns;  // "", host, keep-id
    bool init = false;
    RestartPolicy restart;
    std::string log_driver;
    std::map<std::string, std::string> log_opts;
    std::string ipc, pid, uts;  // "", host, container:X
    // private | pasta | slirp4netns | none | host | ns:PATH | container:ID |
    // networks (user-defined networks: their attachments are in the database)
    std::string network = "private";
    // The user-defined networks asked for at create (--network NAME, --ip,
    // --mac-address, --network-alias); the attachments record the outcome.
    struct NetworkJoin {
        std::string name, ip, mac;
        std::vector<std::string> aliases;
        std::string ip6;  // --ip6
    };
    std::vector<NetworkJoin> network_joins;
    std::vector<std::string> publish;  // -p values, parsed by net::parse_publish at start
    bool publish_all = false;          // -P
    std::vector<std::string> expose;   // --expose, added to the image's ExposedPorts
    bool tty = false, interactive = false;
    std::string stop_signal;
    int stop_timeout = -1;  // -1: default (10)
    bool remove = false;    // --rm
    std::string cidfile, pidfile;
    std::vector<std::string> dns, dns_search, dns_options, add_hosts;

    Json to_json() const;
    static ContainerSpec from_json(const Json& j);
};

}  // namespace skiff::container
