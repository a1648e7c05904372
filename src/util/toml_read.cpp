#include "util/toml_read.hpp"

#include "util/error.hpp"

namespace skiff::toml_read {

std::string where(const std::string& file, const toml::node& node) {
    return file + ":" + std::to_string(node.source().begin.line);
}

std::string get_string(const std::string& file, const std::string& key, const toml::node& node,
                       const std::set<std::string>& allowed) {
    auto v = node.value<std::string>();
    if (!node.is_string() || !v) throw Error(where(file, node) + ": key '" + key + "' must be a string");
    if (!allowed.empty() && !allowed.count(*v)) {
        std::string list;
        for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        throw Error(where(file, node) + ": key '" + key + "': invalid value \"" + *v + "\" (expected one of " + list + ")");
    }
    return *v;
}

bool get_bool(const std::string& file, const std::string& key, const toml::node& node) {
    auto v = node.value<bool>();
    if (!node.is_boolean() || !v) throw Error(where(file, node) + ": key '" + key + "' must be true or false");
    return *v;
}

std::vector<std::string> get_strings(const std::string& file, const std::string& key, const toml::node& node) {
    const toml::array* arr = node.as_array();
    if (!arr) throw Error(where(file, node) + ": key '" + key + "' must be an array of strings");
    std::vector<std::string> out;
    for (auto& el : *arr) out.push_back(get_string(file, key, el));
    return out;
}

const toml::table& table_of(const std::string& file, const std::string& key, const toml::node& node) {
    const toml::table* t = node.as_table();
    if (!t) throw Error(where(file, node) + ": key '" + key + "' must be a table ([" + key + "])");
    return *t;
}

}  // namespace skiff::toml_read
