// Talking to skiff's network daemon (netd.hpp): starting it when the first
// container joins a user-defined network, registering containers, and the
// lock that keeps it from quitting while a container is on its way in.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace skiff::net {

struct NetdFiles {
    explicit NetdFiles(std::string d) : dir(std::move(d)) {}
    std::string dir;
    std::string socket() const { return dir + "/netd.sock"; }
    std::string lock() const { return dir + "/netd.lock"; }
    std::string pid_file() const { return dir + "/netd.pid"; }
    std::string log() const { return dir + "/netd.log"; }
    std::string records() const { return dir + "/records"; }
    std::string record(const std::string& id) const { return records() + "/" + id + ".json"; }
    std::string uplink() const { return dir + "/uplink"; }
};

// A running daemon, kept running while the lease lives (a shared lock the
// daemon needs exclusively to quit).
struct NetdLease {
    UniqueFd lock;
    pid_t pid = -1;
};

// `spawn` starts the daemon with the write end of a pipe it reports
// readiness on ("ok", or an error line) and returns once it is forked.
NetdLease ensure_netd(const NetdFiles& f, const std::function<void(int ready_fd)>& spawn);

// One request ("add ID", "del ID") with descriptors attached; throws the
// daemon's error.
void netd_request(const NetdFiles& f, const std::string& request, const std::vector<int>& fds = {});

// The daemon's pid, or -1 when it is not running.
pid_t running_netd(const NetdFiles& f);

}  // namespace skiff::net
