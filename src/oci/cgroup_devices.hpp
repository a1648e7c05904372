// Device access rules (linux.resources.devices) on cgroup v2, where they
// are an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the
// container's cgroup, not a controller file as on v1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace skiff::oci {

// The program's instructions (struct bpf_insn, 8 bytes each) for the
// rules: the last rule that matches decides, nothing matched is denied.
std::vector<uint64_t> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads the program and attaches it to the cgroup directory `dir`. The
// attachment lives as long as the cgroup.
void attach_device_filter(const std::string& dir, const std::vector<DeviceRule>& rules);

}  // namespace skiff::oci
