#include "engine/engine.hpp"

#include <unistd.h>

#include <cstdlib>

#include "engine/userns.hpp"
#include "layers/userns.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace skiff::engine {

state::Database& Engine::db() {
    if (!db_) {
        paths().ensure();
        db_ = std::make_unique<state::Database>(paths().database());
        log::debug("state database " + paths().database());
    }
    return *db_;
}

image::Store& Engine::images() {
    if (!images_) {
        images_ = std::make_unique<image::Store>(paths(), db());
        // Once per command: layers a crash left unflushed are dealt with
        // before anything reads them.
        static bool settled = false;
        if (!settled) {
            settled = true;
            images_->settle_unsynced();
        }
    }
    return *images_;
}

void Engine::release_db() {
    bool flush = images_ && images_->wrote_unsynced();
    images_.reset();
    db_.reset();
    // Only now: the flusher must not inherit an open SQLite connection.
    if (flush) image::sync_store_in_background(paths());
}

Engine::~Engine() {
    try {
        release_db();
    } catch (...) {
        // A later command's settle_unsynced() flushes instead.
    }
}

layers::Driver& Engine::driver() {
    if (!driver_) {
        auto opts = layers::store_driver_options(paths());
        auto choice = layers::select_store_driver(&db(), opts, ctx_.config().storage_driver, true);
        driver_ = layers::make_driver(choice.kind, std::move(opts));
    }
    return *driver_;
}

int Engine::pull_in_storage_namespace() {
    if (!((geteuid() != 0 || layers::in_user_namespace()) && !std::getenv(kInUsernsEnv))) return -1;
    db_.reset();
    images_.reset();
    ::setenv(kPullOnlyEnv, "1", 1);
    int rc = reexec_in_userns(ctx_.argv());
    ::unsetenv(kPullOnlyEnv);
    return rc;
}

void Engine::enter_storage_namespace(bool check_driver) {
    if ((geteuid() != 0 || layers::in_user_namespace()) && !std::getenv(kInUsernsEnv)) {
        // The database must not be open across the re-exec: the child opens its own.
        db_.reset();
        images_.reset();
        log::debug("re-executing in the rootless user namespace");
    std::exit(reexec_in_userns(ctx_.argv()));
    }
    if (check_driver) driver();
}

}  // namespace skiff::engine
