#include "oci/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "oci/namespaces.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff::oci {

const char* status_name(Status s) {
    switch (s) {
        case Status::creating: return "creating";
        case Status::created: return "created";
        case Status::running: return "running";
        case Status::stopped: return "stopped";
    }
    return "unknown";
}

namespace {

Json hooks_json(const std::vector<Hook>& hooks) {
    Json a = Json::array();
    for (auto& h : hooks) {
        Json j = {{"path", h.path}};
        if (!h.args.empty()) j["args"] = h.args;
        if (!h.env.empty()) j["env"] = h.env;
        if (h.timeout) j["timeout"] = *h.timeout;
        a.push_back(std::move(j));
    }
    return a;
}

std::vector<Hook> hooks_from(const Json& a) {
    std::vector<Hook> out;
    if (!a.is_array()) return out;
    for (auto& j : a) {
        Hook h;
        h.path = j.value("path", "");
        h.args = j.value("args", std::vector<std::string>{});
        h.env = j.value("env", std::vector<std::string>{});
        if (j.contains("timeout")) h.timeout = j["timeout"].get<int>();
        out.push_back(std::move(h));
    }
    return out;
}

}  // namespace

Json state_json(const ContainerState& s) {
    Json j = {
        {"ociVersion", s.oci_version},
        {"id", s.id},
        {"pid", s.status == Status::stopped ? 0 : s.pid},
        {"status", status_name(s.status)},
        {"bundle", s.bundle},
        {"rootfs", s.rootfs},
        {"created", s.created},
        {"owner", s.owner},
    };
    if (!s.annotations.empty()) j["annotations"] = s.annotations;
    return j;
}

std::string hook_state(const ContainerState& s, Status status) {
    Json j = {
        {"ociVersion", s.oci_version},
        {"id", s.id},
        {"status", status_name(status)},
        {"pid", s.pid},
        {"bundle", s.bundle},
    };
    if (!s.annotations.empty()) j["annotations"] = s.annotations;
    return j.dump();
}

void validate_id(const std::string& id) {
    // No leading dot: the state root keeps its own files under dot names.
    bool ok = !id.empty() && id[0] != '.' && id.size() <= 1024;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+'))
            ok = false;
    if (!ok)
        throw Error("invalid container id \"" + id + "\": use letters, digits, '_', '-', '.' and '+', not starting with '.'");
}

std::string default_state_root() {
    // Root of a nested user namespace (podman's rootless one) is a user too:
    // /run is not its to write.
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    bool user = running_rootless();
    if (user && xdg && *xdg) return std::string(xdg) + "/skiff-runtime";
    if (!user) return "/run/skiff-runtime";
    return "/tmp/skiff-runtime-" + std::to_string(::geteuid());
}

std::string StateStore::dir(const std::string& id) const {
    validate_id(id);
    return root_ + "/" + id;
}

void StateStore::create_dir(const std::string& id) const {
    std::string d = dir(id);
    if (::mkdir(d.c_str(), 0700) == 0) return;
    if (errno == ENOENT) {
        fs::make_dirs(root_, 0700);
        if (::mkdir(d.c_str(), 0700) == 0) return;
    }
    if (errno == EEXIST) throw Error("container with id \"" + id + "\" already exists");
    throw_errno("mkdir " + d);
}

void write_file_replace(const std::string& path, const std::string& content, mode_t mode) {
    // A name of our own: two runtimes may fill the same cache entry at once.
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw_errno("open " + tmp);
    const char* p = content.data();
    size_t left = content.size();
    int err = 0;
    while (left && !err) {
        ssize_t n = ::write(fd.get(), p, left);
        if (n < 0) {
            if (errno != EINTR) err = errno;
            continue;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    fd.reset();
    if (!err && ::rename(tmp.c_str(), path.c_str()) < 0) err = errno;
    if (err) {
        ::unlink(tmp.c_str());
        throw_errno("write " + path, err);
    }
}

void StateStore::save(const ContainerState& s) const {
    Json j = {
        {"ociVersion", s.oci_version},
        {"id", s.id},
        {"pid", s.pid},
        {"pidStartTime", s.pid_start_time},
        {"bundle", s.bundle},
        {"rootfs", s.rootfs},
        {"created", s.created},
        {"owner", s.owner},
        {"annotations", s.annotations},
        {"cgroupDirs", s.cgroup_dirs},
        {"cgroupCreated", s.cgroup_created},
        {"ownPidNamespace", s.own_pid_ns},
        {"rootless", s.rootless},
        {"noPivot", s.no_pivot},
        {"poststart", hooks_json(s.poststart)},
        {"poststop", hooks_json(s.poststop)},
    };
    write_file_replace(dir(s.id) + "/state.json", j.dump());
}

ContainerState StateStore::load(const std::string& id) const {
    std::string d = dir(id);
    auto text = fs::read_file_if_exists(d + "/state.json");
    if (!text) {
        if (fs::is_dir(d)) {
            ContainerState s;
            s.id = id;
            s.status = Status::creating;
            return s;
        }
        throw NotFound("container \"" + id + "\" does not exist");
    }
    Json j;
    try {
        j = Json::parse(*text);
    } catch (const Json::exception& e) {
        throw Error("state of container \"" + id + "\" is corrupt: " + e.what());
    }
    ContainerState s;
    s.oci_version = j.value("ociVersion", "");
    s.id = j.value("id", id);
    s.pid = j.value("pid", 0);
    s.pid_start_time = j.value("pidStartTime", uint64_t{0});
    s.bundle = j.value("bundle", "");
    s.rootfs = j.value("rootfs", "");
    s.created = j.value("created", "");
    s.owner = j.value("owner", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.cgroup_dirs = j.value("cgroupDirs", std::vector<std::string>{});
    s.cgroup_created = j.value("cgroupCreated", std::vector<std::string>{});
    s.own_pid_ns = j.value("ownPidNamespace", false);
    s.rootless = j.value("rootless", false);
    s.no_pivot = j.value("noPivot", false);
    s.poststart = hooks_from(j.value("poststart", Json::array()));
    s.poststop = hooks_from(j.value("poststop", Json::array()));
    if (!process_alive(s.pid, s.pid_start_time)) s.status = Status::stopped;
    else if (::access(fifo_path(id).c_str(), F_OK) == 0) s.status = Status::created;
    else s.status = Status::running;
    return s;
}

void StateStore::remove(const std::string& id) const { fs::remove_all(dir(id)); }

std::vector<std::string> StateStore::list() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(root_.c_str());
    if (!d) return out;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.empty() || n[0] == '.' || e->d_type != DT_DIR) continue;
        out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
    if (n <= 0) return std::nullopt;
    buf[n] = 0;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    char* p = std::strrchr(buf, ')');
    if (!p) return std::nullopt;
    p += 2;  // ") "
    char state = *p;
    if (state == 'Z' || state == 'X' || state == 'x') return std::nullopt;
    // Field 3 is the state; the start time is field 22: skip 19 more fields.
    for (int field = 3; field < 22 && p; ++field) {
        p = std::strchr(p, ' ');
        if (p) ++p;
    }
    if (!p) return std::nullopt;
    return std::strtoull(p, nullptr, 10);
}

bool process_alive(pid_t pid, uint64_t start_time) {
    auto t = process_start_time(pid);
    return t && (start_time == 0 || *t == start_time);
}

}  // namespace skiff::oci
