#include "oci/defaults.hpp"

#include <unistd.h>

#include "oci/seccomp_default.hpp"
#include "oci/spec.hpp"

namespace skiff::oci {

const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",  "CAP_KILL",
        "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
        "CAP_SYS_CHROOT"};
    return caps;
}

const std::vector<std::string>& default_masked_paths() {
    static const std::vector<std::string> paths = {
        "/proc/acpi",         "/proc/kcore",      "/proc/keys",       "/proc/latency_stats",
        "/proc/timer_list",   "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware",      "/sys/fs/selinux",  "/sys/dev/block",   "/sys/devices/virtual/powercap"};
    return paths;
}

const std::vector<std::string>& default_readonly_paths() {
    static const std::vector<std::string> paths = {"/proc/asound", "/proc/bus",  "/proc/fs",
                                                    "/proc/irq",    "/proc/sys", "/proc/sysrq-trigger"};
    return paths;
}

namespace {

Json mount(const char* dest, const char* type, const char* source, std::vector<std::string> opts) {
    return {{"destination", dest}, {"type", type}, {"source", source}, {"options", opts}};
}

Json default_mounts(bool rootless) {
    Json m = Json::array();
    m.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    m.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    // gid 5 (tty) exists only where the user namespace maps it.
    std::vector<std::string> pts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
    if (!rootless) pts.push_back("gid=5");
    m.push_back(mount("/dev/pts", "devpts", "devpts", pts));
    m.push_back(mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
    m.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    // sysfs may only be mounted by the owner of the network namespace;
    // rootless without one, the host's /sys is bound read-only instead.
    if (rootless)
        m.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    else
        m.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    m.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    return m;
}

}  // namespace

Json default_spec(bool rootless) {
    const auto& caps = default_capabilities();
    Json process = {
        {"terminal", true},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true},
    };
    Json linux = Json::object();
    if (rootless) {
        linux["uidMappings"] = {{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}};
        linux["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}};
        linux["namespaces"] = {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}},
                               {{"type", "mount"}}, {{"type", "user"}}};
    } else {
        linux["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
        linux["namespaces"] = {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}},
                               {{"type", "uts"}}, {{"type", "mount"}}, {{"type", "cgroup"}}};
    }
    linux["seccomp"] = default_seccomp(caps);
    linux["maskedPaths"] = default_masked_paths();
    linux["readonlyPaths"] = default_readonly_paths();
    return {
        {"ociVersion", kOciVersionMax},
        {"process", process},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "skiff"},
        {"mounts", default_mounts(rootless)},
        {"linux", linux},
    };
}

}  // namespace skiff::oci
