#include "engine/pause.hpp"

#include <unistd.h>

#include "oci/freezer.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"

namespace skiff::engine {

namespace {

std::string short_id(const container::Container& c) { return c.id.substr(0, 12); }

// Why this container has no freezer, in Podman's words where it has some.
[[noreturn]] void no_freezer(Engine& e, const container::Container& c) {
    if (e.paths().rootless() && !fs::exists("/sys/fs/cgroup/cgroup.controllers"))
        throw Error("pause is not supported for cgroupv1 rootless containers (" + c.name +
                    "): rootless containers get a cgroup only from a delegated cgroup v2 hierarchy");
    if (e.paths().rootless())
        throw Error("cannot pause " + c.name + " without using cgroups: it was started without a cgroup "
                    "(is cgroup v2 delegated to this user? see skiff info: Cgroup Limits)");
    throw Error("cannot pause " + c.name + ": its runtime placed it in no freezer cgroup (was it started by an "
                "external runtime or an older skiff?)");
}

void freeze(Engine& e, const container::Container& c, bool frozen) {
    bool done = false;
    try {
        done = oci::freeze_container(e.paths().runtime_state_dir(), c.id, frozen);
    } catch (const NotFound&) {
        done = false;
    }
    if (!done) no_freezer(e, c);
}

}  // namespace

void pause_container(Engine& e, const container::Container& c) {
    if (c.state == "paused") throw Error("container " + short_id(c) + " is already paused");
    if (c.state != "running") throw Error("container " + short_id(c) + " is not running: can only pause running containers");
    // Recorded first: a pause killed between the two steps leaves a record
    // that says paused for a container that runs (unpause, stop and rm
    // thaw it, a no-op), never a frozen one recorded as running, which
    // nothing would thaw and rm -f could not kill (a commit killed -9).
    container::Records(e.db()).set_state(c.id, "paused");
    try {
        freeze(e, c, true);
    } catch (...) {
        container::Records(e.db()).set_state(c.id, "running");
        throw;
    }
}

void unpause_container(Engine& e, const container::Container& c) {
    if (c.state != "paused") throw Error("container " + short_id(c) + " is not paused");
    freeze(e, c, false);
    container::Records(e.db()).set_state(c.id, "running");
}

void thaw_if_paused(Engine& e, const container::Container& c) {
    if (c.state != "paused") return;
    try {
        oci::freeze_container(e.paths().runtime_state_dir(), c.id, false);
    } catch (const Error&) {
    }
    container::Records(e.db()).set_state(c.id, "running");
}

}  // namespace skiff::engine
