#include "container/privileged.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cctype>
#include <cstdlib>
#include <set>
#include <string>

#include "util/fs.hpp"

namespace skiff::container {

namespace {

// The runtime makes these itself; the rest are not devices to hand over.
const std::set<std::string> kSkip = {"/dev/pts",  "/dev/shm",   "/dev/mqueue", "/dev/.lxc", "/dev/.lxd-mounts",
                                     "/dev/null", "/dev/zero",  "/dev/full",   "/dev/random", "/dev/urandom",
                                     "/dev/tty",  "/dev/console", "/dev/ptmx",  "/dev/fd"};

// Podman leaves out the virtual consoles (tty0, tty1, …).
bool virtual_console(const std::string& path) {
    if (path.rfind("/dev/tty", 0) != 0 || path.size() == 8) return false;
    for (size_t i = 8; i < path.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(path[i]))) return false;
    return true;
}

void walk(const std::string& dir, Json& devices, Json& mounts, bool userns, int depth) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (auto* ent = ::readdir(d)) {
        std::string name = ent->d_name;
        if (name == "." || name == "..") continue;
        std::string path = dir + "/" + name;
        if (kSkip.count(path) || virtual_console(path)) continue;
        struct stat st;
        if (::lstat(path.c_str(), &st) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < 3) walk(path, devices, mounts, userns, depth + 1);
            continue;
        }
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
        if (userns) {
            mounts.push_back({{"destination", path}, {"type", "bind"}, {"source", path}, {"options", {"bind"}}});
        } else {
            devices.push_back({{"path", path},
                               {"type", S_ISCHR(st.st_mode) ? "c" : "b"},
                               {"major", major(st.st_rdev)},
                               {"minor", minor(st.st_rdev)},
                               {"fileMode", st.st_mode & 07777},
                               {"uid", st.st_uid},
                               {"gid", st.st_gid}});
        }
    }
    ::closedir(d);
}

}  // namespace

uint64_t bounding_set() {
    auto text = fs::read_file_if_exists("/proc/self/status");
    if (!text) return ~0ULL;
    auto at = text->find("\nCapBnd:");
    if (at == std::string::npos) return ~0ULL;
    return std::strtoull(text->c_str() + at + 8, nullptr, 16);
}

void apply_privileged(Json& cfg, bool userns) {
    Json& mounts = cfg["mounts"];
    for (auto& m : mounts) {
        std::string dest = m["destination"];
        if (dest != "/sys" && dest != "/sys/fs/cgroup") continue;
        Json opts = Json::array();
        for (auto& o : m["options"])
            if (o != "ro") opts.push_back(o);
        opts.push_back("rw");
        m["options"] = opts;
    }
    Json& linux = cfg["linux"];
    Json devices = linux.contains("devices") ? linux["devices"] : Json::array();
    std::set<std::string> have;
    for (auto& dev : devices) have.insert(dev["path"]);
    for (auto& m : mounts) have.insert(m["destination"]);
    Json found = Json::array(), binds = Json::array();
    walk("/dev", found, binds, userns, 0);
    for (auto& dev : found)
        if (!have.count(dev["path"])) devices.push_back(dev);
    for (auto& b : binds)
        if (!have.count(b["destination"])) mounts.push_back(b);
    if (!devices.empty()) linux["devices"] = devices;
    // Every device may be used, as on the host.
    if (!userns) linux["resources"]["devices"] = Json::array({{{"allow", true}, {"access", "rwm"}}});
}

}  // namespace skiff::container
