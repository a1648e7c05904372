// Docker's --detach-keys: the monitors (container/monitor.cpp and the idle
// skiff-monitor) watch clients' input for the sequence.
#pragma once

#include <string>

namespace skiff::container {

// "ctrl-p,ctrl-q" → the bytes to watch for; empty disables detaching.
std::string parse_detach_keys(const std::string& spec);

}  // namespace skiff::container
