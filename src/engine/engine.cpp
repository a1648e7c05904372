#include "engine/engine.hpp"

#include <unistd.h>

#include <cstdlib>

#include "image/layer_import.hpp"
#include "engine/userns.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::engine {

state::Database& Engine::db() {
    if (!db_) {
        paths().ensure();
        db_ = std::make_unique<state::Database>(paths().database());
    }
    return *db_;
}

image::Store& Engine::images() {
    if (!images_) images_ = std::make_unique<image::Store>(paths(), db());
    return *images_;
}

void Engine::release_db() {
    images_.reset();
    db_.reset();
}

void Engine::enter_storage_namespace() {
    if (geteuid() == 0 && !image::in_user_namespace()) return;
    if (std::getenv(kInUsernsEnv)) return;
    // The database must not be open across the re-exec: the child opens its own.
    db_.reset();
    images_.reset();
    std::exit(reexec_in_userns(ctx_.argv()));
}

}  // namespace skiff::engine
