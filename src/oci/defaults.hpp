// The configuration skiff gives a container unless told otherwise: the one
// `skiff oci spec` writes, and the base the engine edits for `skiff run`.
#pragma once

#include <string>
#include <vector>

#include "util/json.hpp"

namespace skiff::oci {

// Podman's default capability set.
const std::vector<std::string>& default_capabilities();
// Docker's and Podman's masked and read-only paths.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

// A complete config.json in the shape `runc spec` writes, with Podman's
// defaults: capabilities, the default seccomp profile, masked/read-only
// paths and mounts. `rootless`: a user namespace mapping the caller's own
// uid and gid to root, no network namespace (so /sys is a bind of the
// host's) and no device cgroup rules.
Json default_spec(bool rootless);

}  // namespace skiff::oci
