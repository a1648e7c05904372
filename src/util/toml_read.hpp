// Reading typed values out of a parsed TOML file, with errors that name the
// file, the line and the key (skiff.conf, registries.conf).
#pragma once

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include <set>
#include <string>
#include <vector>

namespace skiff::toml_read {

// "file:line"
std::string where(const std::string& file, const toml::node& node);
// A string; with `allowed`, one of those values.
std::string get_string(const std::string& file, const std::string& key, const toml::node& node,
                       const std::set<std::string>& allowed = {});
bool get_bool(const std::string& file, const std::string& key, const toml::node& node);
std::vector<std::string> get_strings(const std::string& file, const std::string& key, const toml::node& node);
const toml::table& table_of(const std::string& file, const std::string& key, const toml::node& node);

}  // namespace skiff::toml_read
