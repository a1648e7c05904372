// OCI hooks: each runs with the container state JSON on stdin, in the
// order given, with an optional timeout (then it is killed).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace skiff::oci {

// Runs the hooks in order; the first one that fails (non-zero exit,
// signal, timeout, exec failure) stops the rest and throws, naming `kind`.
void run_hooks(const std::vector<Hook>& hooks, const std::string& state, const char* kind);

// Runs every hook; failures are handed to `warn` (poststart and poststop
// failures must not stop the lifecycle, per the spec).
void run_hooks_warn(const std::vector<Hook>& hooks, const std::string& state, const char* kind,
                    const std::function<void(const std::string&)>& warn);

}  // namespace skiff::oci
