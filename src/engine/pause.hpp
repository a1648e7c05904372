// pause/unpause: freezing a running container's processes in its cgroup.
#pragma once

#include "container/record.hpp"
#include "engine/engine.hpp"

namespace skiff::engine {

void pause_container(Engine& e, const container::Container& c);
void unpause_container(Engine& e, const container::Container& c);
// stop, kill and rm -f of a paused container thaw it first (a frozen
// process cannot act on a signal); nothing happens otherwise.
void thaw_if_paused(Engine& e, const container::Container& c);

}  // namespace skiff::engine
