// `skiff cp` between the host and a container, running or not.
#pragma once

#include <string>

#include "engine/engine.hpp"

namespace skiff::engine {

struct CopyRequest {
    std::string src, dest;     // "CTR:PATH", a host path, or "-" (a tar on stdin/stdout)
    bool archive = false;      // -a: keep the files' owners
    bool follow_link = false;  // -L: copy what a symlink source points to
};

// One side of a cp argument: a container and its path, or the host.
struct CopyArg {
    std::string container;  // empty: the host
    std::string path;
};
// Docker's rule: "NAME:PATH" names a container unless the part before the
// colon holds a '/' (./a:b is a local file) or the argument is absolute.
CopyArg parse_copy_arg(const std::string& arg);

void copy(Engine& e, const CopyRequest& r);

}  // namespace skiff::engine
