#include "engine/join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "engine/containers.hpp"
#include "engine/userns.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace skiff::engine {

namespace {

struct Shared {
    const char* type;
    std::string container::ContainerSpec::*field;
};
const Shared kShared[] = {{"ipc", &container::ContainerSpec::ipc},
                          {"pid", &container::ContainerSpec::pid},
                          {"uts", &container::ContainerSpec::uts},
                          {"network", &container::ContainerSpec::network}};

constexpr std::string_view kPrefix = "container:";

bool joins(const std::string& mode) { return mode.rfind(kPrefix, 0) == 0; }

bool same_user_namespace(int a, int b) {
    struct stat sa {}, sb {};
    return ::stat(("/proc/" + std::to_string(a) + "/ns/user").c_str(), &sa) == 0 &&
           ::stat(("/proc/" + std::to_string(b) + "/ns/user").c_str(), &sb) == 0 && sa.st_ino == sb.st_ino &&
           sa.st_dev == sb.st_dev;
}

}  // namespace

void resolve_shared_namespaces(Engine& e, container::ContainerSpec& spec) {
    for (auto& s : kShared) {
        std::string& mode = spec.*s.field;
        if (!joins(mode)) continue;
        std::string ref = mode.substr(kPrefix.size());
        if (ref.empty()) throw Error(std::string("--") + s.type + " container: needs a container name or ID");
        container::Container target;
        try {
            target = find_container(e, ref);
        } catch (const NotFound&) {
            throw NotFound(std::string("--") + s.type + " " + mode + ": no container with name or ID \"" + ref +
                           "\" found");
        }
        mode = std::string(kPrefix) + target.id;
    }
}

void check_no_dependents(Engine& e, const container::Container& c) {
    std::string mine = std::string(kPrefix) + c.id;
    std::vector<std::string> names;
    for (auto& other : container::Records(e.db()).list()) {
        if (other.id == c.id) continue;
        for (auto& s : kShared)
            if (other.spec.*s.field == mine) {
                names.push_back(other.name);
                break;
            }
    }
    if (!names.empty())
        throw Error("container " + c.name + " has dependent containers which must be removed before it: " +
                    str::join(names, ", "));
}

std::map<std::string, int> namespace_join_pids(Engine& e, const container::Container& c) {
    std::map<std::string, int> out;
    for (auto& s : kShared) {
        const std::string& mode = c.spec.*s.field;
        if (!joins(mode)) continue;
        std::string id = mode.substr(kPrefix.size());
        auto rec = container::Records(e.db()).get(id);
        if (!rec) throw Error(std::string("cannot join the ") + s.type + " namespace of container " + id.substr(0, 12) +
                              ": it no longer exists");
        auto target = refresh(e, *rec);
        if (target.state != "running" || target.pid <= 0)
            throw Error(std::string("cannot join the ") + s.type + " namespace of container " + target.name +
                        ": it is not running");
        out[s.type] = target.pid;
    }
    if (::geteuid() != 0 && out.size() > 1) {
        struct stat first {};
        bool have = false;
        for (auto& [type, pid] : out) {
            struct stat st;
            if (::stat(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), &st) < 0) continue;
            if (have && st.st_ino != first.st_ino)
                throw Error("rootless, the namespaces to join must belong to containers of one user namespace: "
                            "join them all from the same container");
            first = st;
            have = true;
        }
    }
    return out;
}

pid_t fork_monitor_process(const std::map<std::string, int>& join, int netd_pid, const std::function<int()>& body) {
    if ((join.empty() && netd_pid <= 0) || ::geteuid() == 0) return fork_into_userns(body, false);
    // Already in a user namespace (a command re-executed there after a
    // pull) we cannot reach another container's: it is a sibling.
    if (std::getenv(kInUsernsEnv))
        throw Error(std::string(join.empty() ? "joining the user-defined networks' namespace"
                                             : "joining another container's namespaces") +
                    " is not possible from inside skiff's user namespace (was the image just pulled? run the "
                    "command again)");
    int target = join.empty() ? netd_pid : join.begin()->second;
    if (!join.empty() && netd_pid > 0 && !same_user_namespace(join.begin()->second, netd_pid))
        throw Error("a rootless container cannot both join another container's namespaces and user-defined "
                    "networks unless that container is on a user-defined network too");
    std::string path = "/proc/" + std::to_string(target) + "/ns/user";
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("open " + path);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid > 0) return pid;
    int rc = kExitEngine;
    try {
        if (::setns(ns.get(), CLONE_NEWUSER) < 0) throw_errno("join the user namespace of the container to share");
        if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) throw_errno("become root in the user namespace");
        if (::unshare(CLONE_NEWNS) < 0) throw_errno("create mount namespace");
        // Our mounts must never propagate back into the host's namespace.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0) throw_errno("make mounts private");
        ::setenv(kInUsernsEnv, "1", 1);
        ns.reset();
        rc = body();
    } catch (const Error& e) {
        std::fprintf(stderr, "Error: %s\n", e.what());
        rc = e.exit_code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "Error: %s\n", e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
}

}  // namespace skiff::engine
