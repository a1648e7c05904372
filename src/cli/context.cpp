#include "cli/context.hpp"

namespace skiff {

const state::Paths& Context::paths() {
    if (!paths_) paths_ = state::Paths::resolve({globals_.root, globals_.runroot, globals_.config});
    return *paths_;
}

const state::Config& Context::config() {
    if (!config_) {
        const auto& p = paths();
        config_ = state::load_config(p.config_file(), p.config_file_explicit());
        if (!globals_.storage_driver.empty()) config_->storage_driver = globals_.storage_driver;
        if (!globals_.runtime.empty()) config_->runtime = globals_.runtime;
    }
    return *config_;
}

}  // namespace skiff
