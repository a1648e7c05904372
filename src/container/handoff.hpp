// The monitor's handoff to the idle monitor (issue 6: <= 1 MiB RSS while a
// container runs): once the container runs, the monitor writes its
// configuration to a file in the container's run dir and execs the small
// static skiff-monitor, which relays and waits; when the container exits,
// skiff-monitor execs `skiff __monitor-resume FILE ...`, which rebuilds the
// monitor from the file and finishes (records the exit, tears down, restarts).
#pragma once

#include <string>

#include "container/monitor.hpp"
#include "util/json.hpp"

namespace skiff::container {

// The configuration as the resumed monitor needs it; the container record
// itself is reread from the database (it holds the restart count).
Json monitor_config_to_json(const MonitorConfig& cfg);
MonitorConfig monitor_config_from_json(const Json& j);

// skiff-monitor next to this binary (the build dir), else in
// ../libexec/skiff/ (an installed prefix); "" when neither exists.
std::string find_idle_monitor();

// The file in the run dir.
std::string handoff_file(const ContainerPaths& p);

// Clears (inherit=true) or sets FD_CLOEXEC.
void set_inheritable(int fd, bool inherit);

}  // namespace skiff::container
