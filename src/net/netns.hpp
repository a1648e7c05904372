// Network namespaces kept in a file (a bind mount of nsfs), as `ip netns` does.
#pragma once

#include <string>

namespace skiff::net {

// A new, empty network namespace bound at `path` (created). The caller's
// own namespaces stay as they are: a short child makes it.
void make_netns(const std::string& path);
// Unbinds and removes `path`; a missing one is fine.
void remove_netns(const std::string& path) noexcept;

}  // namespace skiff::net
