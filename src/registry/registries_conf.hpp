// registries.conf (containers-registries.conf(5), version 2 TOML, with the
// version 1 tables still understood): short-name search, aliases, and per
// registry location rewrites, mirrors, insecure and blocked flags.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "image/reference.hpp"

namespace skiff::registry {

struct Mirror {
    std::string location;
    bool insecure = false;
    std::string pull_from = "all";  // all, digest-only, tag-only
};

struct RegistryEntry {
    std::string prefix;    // "example.com", "example.com/ns", "*.example.com"
    std::string location;  // where the prefix is fetched from
    bool insecure = false;
    bool blocked = false;
    std::vector<Mirror> mirrors;
};

struct RegistriesConf {
    std::vector<std::string> search;                   // unqualified-search-registries
    std::map<std::string, std::string> aliases;        // short name → full name
    std::vector<RegistryEntry> registries;
    std::vector<std::string> files;                    // what was read, for messages

    // The entry with the longest prefix matching `name` ("domain/path"), or null.
    const RegistryEntry* find(const std::string& name) const;
    // Search registries; docker.io when none are configured (Docker's rule).
    std::vector<std::string> search_or_default() const;
};

// Merges one file's text into `into` (later files override earlier ones).
void parse_registries_conf(const std::string& text, const std::string& file, RegistriesConf& into);

// $CONTAINERS_REGISTRIES_CONF alone when set; else the user's
// ~/.config/containers/registries.conf or /etc/containers/registries.conf,
// then the registries.conf.d drop-ins.
RegistriesConf load_registries_conf();

// One place to pull a reference from.
struct PullSource {
    image::Reference ref;  // rewritten to the location or mirror
    bool insecure = false;
    bool mirror = false;
};

// Mirrors first (those that take this kind of reference), then the primary
// location. Throws when the registry is blocked.
std::vector<PullSource> pull_sources(const RegistriesConf& conf, const image::Reference& ref);

// The reference rewritten to its registry's `location`, for push.
PullSource push_destination(const RegistriesConf& conf, const image::Reference& ref);

// Full names to try for what the user typed, in order: the name itself when
// it names a registry, an alias, or each search registry. `alias` is set
// when an alias decided.
std::vector<image::Reference> short_name_candidates(const RegistriesConf& conf, const std::string& text,
                                                    bool* alias = nullptr);

}  // namespace skiff::registry
