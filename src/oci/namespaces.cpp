#include "oci/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace skiff::oci {

bool in_nested_userns() {
    static const bool nested = host::in_user_namespace();
    return nested;
}

bool running_rootless() { return ::geteuid() != 0 || in_nested_userns(); }

uint64_t clone_flags(const Linux& l) {
    uint64_t f = 0;
    for (auto& n : l.namespaces)
        if (n.path.empty() && n.type != NsType::cgroup) f |= static_cast<uint64_t>(ns_clone_flag(n.type));
    return f;
}

bool needs_two_stages(const Linux& l) {
    for (auto& n : l.namespaces)
        if (!n.path.empty()) return true;
    return l.time_monotonic || l.time_boottime;
}

namespace {

bool privileged() { return ::geteuid() == 0; }

bool own_single(const std::vector<IdMapping>& m, uint32_t id) {
    return m.size() == 1 && m[0].host_id == id && m[0].size == 1;
}

std::string map_text(const std::vector<IdMapping>& m) {
    std::string s;
    for (auto& e : m)
        s += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " + std::to_string(e.size) + "\n";
    return s;
}

void write_proc(pid_t pid, const char* file, const std::string& text) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    if (::write(fd.get(), text.data(), text.size()) < 0) {
        int err = errno;
        std::string what = "write " + path;
        if (err == EPERM && std::string(file) != "setgroups")
            what += " (an unprivileged user may map only its own id; other ranges need newuidmap/newgidmap)";
        throw_errno(what, err);
    }
}

// Starts `helper pid c h s ...` without waiting.
pid_t spawn_helper(const char* helper, pid_t pid, const std::vector<IdMapping>& m) {
    auto path = fs::find_executable(helper);
    if (!path)
        throw Error(std::string(helper) +
                    " not found: mapping several ids rootless needs the uidmap package (newuidmap/newgidmap)");
    std::vector<std::string> args = {helper, std::to_string(pid)};
    for (auto& e : m) {
        args.push_back(std::to_string(e.container_id));
        args.push_back(std::to_string(e.host_id));
        args.push_back(std::to_string(e.size));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child;
    int rc = ::posix_spawn(&child, path->c_str(), nullptr, nullptr, argv.data(), environ);
    if (rc != 0) throw_errno(std::string("spawn ") + *path, rc);
    return child;
}

void wait_helper(Child& c, const char* helper, const char* file) {
    int st = c.wait();
    if (st != 0)
        throw Error(std::string(helper) + " failed (exit status " + std::to_string(st) +
                    "): check that the mappings are within your ranges in " + file);
}

}  // namespace

bool setgroups_denied(const Linux& l) {
    return !privileged() && own_single(l.gid_mappings, ::getegid());
}

void write_id_maps(pid_t pid, const Linux& l) {
    bool root = privileged();
    bool uid_direct = root || own_single(l.uid_mappings, ::geteuid());
    bool gid_direct = root || own_single(l.gid_mappings, ::getegid());
    // The helpers run side by side: two exec's cost one exec's latency.
    Child uid_helper, gid_helper;
    if (!uid_direct) uid_helper = Child(spawn_helper("newuidmap", pid, l.uid_mappings));
    if (!gid_direct) gid_helper = Child(spawn_helper("newgidmap", pid, l.gid_mappings));
    if (uid_direct) write_proc(pid, "uid_map", map_text(l.uid_mappings));
    if (gid_direct) {
        // An unprivileged writer of gid_map must first give up setgroups(),
        // or the container could drop supplementary groups it was given.
        if (!root) write_proc(pid, "setgroups", "deny");
        write_proc(pid, "gid_map", map_text(l.gid_mappings));
    }
    if (!uid_direct) wait_helper(uid_helper, "newuidmap", "/etc/subuid");
    if (!gid_direct) wait_helper(gid_helper, "newgidmap", "/etc/subgid");
}

void join_namespaces(const Linux& l) {
    struct Join {
        NsType type;
        UniqueFd fd;
    };
    // Open every path first: the paths are in the runtime's mount namespace,
    // which a joined mount namespace would hide.
    std::vector<Join> joins;
    for (auto& n : l.namespaces) {
        if (n.path.empty()) continue;
        UniqueFd fd(::open(n.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno(std::string("open ") + ns_name(n.type) + " namespace " + n.path);
        joins.push_back({n.type, std::move(fd)});
    }
    auto join = [](Join& j) { return ::setns(j.fd.get(), ns_clone_flag(j.type)); };
    // Namespaces owned by the user namespace we are about to join can only
    // be joined from inside it: try the others first, retry after the user one.
    std::vector<Join*> later;
    for (auto& j : joins) {
        if (j.type == NsType::user) continue;
        if (join(j) < 0) {
            if (errno != EPERM) throw_errno(std::string("setns ") + ns_name(j.type));
            later.push_back(&j);
        }
    }
    for (auto& j : joins)
        if (j.type == NsType::user && join(j) < 0) throw_errno("setns user");
    for (auto* j : later)
        if (join(*j) < 0)
            throw_errno(std::string("setns ") + ns_name(j->type) +
                        " (a namespace that belongs to another user namespace can only be joined together with it)");
}

void write_time_offsets(const Linux& l) {
    std::string text;
    auto line = [&](const char* clock, const TimeOffset& o) {
        text += std::string(clock) + " " + std::to_string(o.secs) + " " + std::to_string(o.nanosecs) + "\n";
    };
    if (l.time_monotonic) line("monotonic", *l.time_monotonic);
    if (l.time_boottime) line("boottime", *l.time_boottime);
    if (text.empty()) return;
    UniqueFd fd(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), text.data(), text.size()) < 0) throw_errno("write /proc/self/timens_offsets");
}

}  // namespace skiff::oci
