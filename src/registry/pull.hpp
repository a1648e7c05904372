// Pulling images: what `pull` runs, and what `run`/`create` call for
// --pull. Every layer streams network → inflate → sha256 → unpack in one
// pass, up to four layers at a time; nothing is stored until every byte
// has been verified, and then in one transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "image/store.hpp"
#include "registry/session.hpp"

namespace skiff::registry {

struct PullOptions {
    RegistryOptions registry;
    std::string platform;  // --platform os/arch[/variant]
    std::string os, arch, variant;
    bool quiet = false;    // no progress on stderr
};

// Pulls `ref` and stores it under its full name. A short name is tried
// against registries.conf's aliases and unqualified-search-registries
// (docker.io when none). Unpacking needs the storage namespace: callers
// run e.enter_storage_namespace() first (it re-executes the command).
image::Image pull_image(engine::Engine& e, const std::string& ref, const PullOptions& opts);

// Every tag of a repository (`pull --all-tags`).
std::vector<image::Image> pull_all_tags(engine::Engine& e, const std::string& repo, const PullOptions& opts);

// `--pull POLICY` of run/create: "missing" (or ""): the local image, pulled
// when absent; "always": pulled; "never": the local image or nullopt;
// "newer": pulled when the registry has another digest for the name (a
// registry error keeps the local image, with a warning).
std::optional<image::Image> ensure_image(engine::Engine& e, const std::string& ref, const std::string& policy,
                                         const PullOptions& opts);

}  // namespace skiff::registry
