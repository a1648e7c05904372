#include "oci/freezer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "oci/state.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::oci {

namespace {

void put(const std::string& path, const std::string& value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    if (::write(fd.get(), value.data(), value.size()) < 0) throw_errno("write \"" + value + "\" to " + path);
}

std::string get(const std::string& path) { return str::trim(fs::read_file_if_exists(path).value_or("")); }

bool v1(const std::string& dir) { return fs::exists(dir + "/freezer.state"); }

// v2 reports completion in cgroup.events ("frozen 1").
bool v2_frozen(const std::string& dir) {
    for (auto& line : str::split(get(dir + "/cgroup.events"), '\n'))
        if (line == "frozen 1") return true;
    return false;
}

}  // namespace

std::string freezer_dir(const std::vector<std::string>& cgroup_dirs) {
    for (auto& d : cgroup_dirs)
        if (v1(d)) return d;
    for (auto& d : cgroup_dirs)
        if (fs::exists(d + "/cgroup.freeze")) return d;
    return "";
}

bool is_frozen(const std::string& dir) {
    if (v1(dir)) return get(dir + "/freezer.state") == "FROZEN";
    return v2_frozen(dir);
}

void set_frozen(const std::string& dir, bool frozen) {
    bool is_v1 = v1(dir);
    // A task forking while the cgroup freezes can keep v1 in FREEZING:
    // asking again, as runc does, lets it settle.
    for (int i = 0; i < 1000; ++i) {
        if (is_v1) put(dir + "/freezer.state", frozen ? "FROZEN" : "THAWED");
        else if (i == 0) put(dir + "/cgroup.freeze", frozen ? "1" : "0");
        bool done = is_v1 ? get(dir + "/freezer.state") == (frozen ? "FROZEN" : "THAWED") : v2_frozen(dir) == frozen;
        if (done) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(i < 10 ? 1 : 10));
    }
    if (frozen) {
        try {
            set_frozen(dir, false);
        } catch (const Error&) {
        }
        throw Error("the processes in " + dir + " did not freeze in time");
    }
    throw Error("the processes in " + dir + " did not thaw in time");
}

bool freeze_container(const std::string& root, const std::string& id, bool frozen) {
    ContainerState st = StateStore(root).load(id);
    std::string dir = freezer_dir(st.cgroup_dirs);
    if (dir.empty()) return false;
    set_frozen(dir, frozen);
    return true;
}

}  // namespace skiff::oci
