#include "util/host.hpp"

#include <pwd.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/magic.h>

#include "layers/userns.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::host {

std::string kernel_release() {
    struct utsname u;
    uname(&u);
    return u.release;
}

std::string arch() {
    struct utsname u;
    uname(&u);
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    if (m == "i686" || m == "i386") return "386";
    if (m.rfind("armv", 0) == 0) return "arm";
    return m;
}

std::string os_name() {
    auto text = fs::read_file_if_exists("/etc/os-release");
    if (!text) return "linux";
    for (auto& line : str::split(*text, '\n')) {
        if (line.rfind("PRETTY_NAME=", 0) == 0) {
            std::string v = line.substr(12);
            if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
            return v;
        }
    }
    return "linux";
}

std::string hostname() {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return buf;
}

std::string boot_id() {
    auto id = fs::read_file_if_exists("/proc/sys/kernel/random/boot_id");
    return id ? str::trim(*id) : "";
}

long cpu_count() { return sysconf(_SC_NPROCESSORS_ONLN); }

long long memory_bytes() { return static_cast<long long>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE); }

std::string user_name() {
    if (struct passwd* pw = getpwuid(getuid())) return pw->pw_name;
    return std::to_string(getuid());
}

std::vector<IdRange> subordinate_ranges(const std::string& file) {
    std::vector<IdRange> out;
    for (auto& r : layers::read_subids(file, user_name(), getuid())) out.push_back({r.start, r.count});
    return out;
}

namespace {

bool is_cgroup2(const std::string& path) {
    struct statfs sf;
    return statfs(path.c_str(), &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

std::vector<std::string> words_of(const std::string& path) {
    std::vector<std::string> out;
    auto text = fs::read_file_if_exists(path);
    if (!text) return out;
    for (auto& w : str::split(str::trim(*text), ' '))
        if (!w.empty()) out.push_back(w);
    return out;
}

}  // namespace

CgroupInfo cgroups(bool rootless) {
    CgroupInfo info;
    if (is_cgroup2("/sys/fs/cgroup")) {
        info.version = "v2";
        info.controllers = words_of("/sys/fs/cgroup/cgroup.controllers");
        if (!rootless) {
            info.limits_usable = !info.controllers.empty();
            if (!info.limits_usable) info.why_not = "no controllers are enabled in /sys/fs/cgroup";
            return info;
        }
        // Rootless limits need a delegated subtree (systemd's user@UID.service).
        std::string uid = std::to_string(getuid());
        auto delegated = words_of("/sys/fs/cgroup/user.slice/user-" + uid + ".slice/user@" + uid +
                                  ".service/cgroup.controllers");
        info.limits_usable = !delegated.empty();
        if (!info.limits_usable)
            info.why_not = "no cgroup v2 controllers are delegated to user " + uid + " (systemd user session needed)";
        return info;
    }
    bool hybrid = is_cgroup2("/sys/fs/cgroup/unified");
    info.version = hybrid ? "v1 (hybrid)" : "v1";
    for (const char* c : {"cpu", "cpuset", "memory", "pids", "blkio"})
        if (fs::is_dir(std::string("/sys/fs/cgroup/") + c)) info.controllers.push_back(c);
    if (rootless) {
        info.why_not = "cgroup v1 cannot be delegated to unprivileged users: rootless resource limits are unavailable";
    } else {
        info.limits_usable = !info.controllers.empty();
        if (!info.limits_usable) info.why_not = "no cgroup v1 controllers are mounted";
    }
    return info;
}

}  // namespace skiff::host
