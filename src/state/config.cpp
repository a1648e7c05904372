#include "state/config.hpp"


#include <set>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/toml_read.hpp"

namespace skiff::state {

namespace {

using toml_read::get_string;
using toml_read::get_strings;
using toml_read::where;

const toml::table& section(const std::string& file, const std::string& name, const toml::node& node) {
    return toml_read::table_of(file, name, node);
}

}  // namespace

Config parse_config(const std::string& text, const std::string& file) {
    Config cfg;
    cfg.source = file;
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw Error(file + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    for (auto& [k, node] : root) {
        std::string key(k.str());
        if (key == "storage") {
            for (auto& [sk, sn] : section(file, key, node)) {
                std::string name = "storage." + std::string(sk.str());
                if (sk.str() == "driver")
                    cfg.storage_driver = get_string(file, name, sn, {"overlay", "fuse-overlayfs", "vfs"});
                else
                    throw Error(where(file, sn) + ": unknown key '" + name + "'");
            }
        } else if (key == "engine") {
            for (auto& [ek, en] : section(file, key, node)) {
                std::string name = "engine." + std::string(ek.str());
                if (ek.str() == "runtime") cfg.runtime = get_string(file, name, en);
                else if (ek.str() == "log_driver")
                    cfg.log_driver = get_string(file, name, en, {"k8s-file", "json-file", "journald", "none"});
                else if (ek.str() == "default_capabilities") cfg.default_capabilities = get_strings(file, name, en);
                else if (ek.str() == "cdi_spec_dirs") cfg.cdi_spec_dirs = get_strings(file, name, en);
                else throw Error(where(file, en) + ": unknown key '" + name + "'");
            }
        } else if (key == "network") {
            for (auto& [nk, nn] : section(file, key, node)) {
                std::string name = "network." + std::string(nk.str());
                if (nk.str() == "helper")
                    cfg.network_helper = get_string(file, name, nn, {"pasta", "slirp4netns"});
                else
                    throw Error(where(file, nn) + ": unknown key '" + name + "'");
            }
        } else {
            throw Error(where(file, node) + ": unknown key '" + key + "'");
        }
    }
    return cfg;
}

Config load_config(const std::string& path, bool must_exist) {
    auto text = fs::read_file_if_exists(path);
    if (!text) {
        if (must_exist) throw Error("config file " + path + ": No such file or directory");
        return Config{};
    }
    return parse_config(*text, path);
}

}  // namespace skiff::state
