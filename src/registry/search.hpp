// search and search --list-tags: Docker Hub's search API for docker.io,
// the catalog and tag list of any Distribution registry otherwise.
#pragma once

#include <string>
#include <vector>

#include "registry/session.hpp"
#include "util/json.hpp"

namespace skiff::registry {

struct SearchOptions {
    RegistryOptions registry;
    long limit = 0;  // 0: 25 results (all tags with list_tags)
    bool list_tags = false;
    bool no_trunc = false;
    std::vector<std::string> filters;  // stars=N, is-official=BOOL, is-automated=BOOL
};

// One row per result, with the fields --format templates use: Index,
// Name, Description, Stars, Official, Automated (and Tag with list_tags).
std::vector<Json> search_images(const std::string& term, const SearchOptions& opts);

}  // namespace skiff::registry
