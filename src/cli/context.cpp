#include "cli/context.hpp"

#include "util/log.hpp"

namespace skiff {

const state::Paths& Context::paths() {
    if (!paths_) {
        paths_ = state::Paths::resolve({globals_.root, globals_.runroot, globals_.config});
        log::debug("root " + paths_->root() + ", runroot " + paths_->runroot() +
                   (paths_->rootless() ? " (rootless)" : ""));
    }
    return *paths_;
}

const state::Config& Context::config() {
    if (!config_) {
        const auto& p = paths();
        config_ = state::load_config(p.config_file(), p.config_file_explicit());
        log::debug("config " + (config_->source.empty() ? std::string("(built-in defaults)") : config_->source));
        if (!globals_.storage_driver.empty()) config_->storage_driver = globals_.storage_driver;
        if (!globals_.runtime.empty()) config_->runtime = globals_.runtime;
    }
    return *config_;
}

}  // namespace skiff
