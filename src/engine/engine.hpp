// The engine: what commands call. It owns the lazily opened state database
// and stores, and knows when a command must run inside the rootless user
// namespace.
#pragma once

#include <memory>
#include <optional>

#include "cli/context.hpp"
#include "image/store.hpp"
#include "layers/driver.hpp"
#include "state/db.hpp"

namespace skiff::engine {

// Set for a command re-executed only to pull its image (pull_in_storage_namespace).
inline constexpr const char* kPullOnlyEnv = "_SKIFF_PULL_ONLY";

class Engine {
public:
    explicit Engine(Context& ctx) : ctx_(ctx) {}
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    Context& ctx() { return ctx_; }
    const state::Paths& paths() { return ctx_.paths(); }
    state::Database& db();
    image::Store& images();

    // The store's storage driver (layers::select_store_driver): the one the
    // store records; a fresh store records the one asked for (--storage-driver,
    // skiff.conf [storage] driver) or else the one detected. Throws when the
    // store has another driver than the one asked for.
    layers::Driver& driver();

    // Rootless storage work (unpacking layers, mounting) must run as root
    // of the user namespace so files keep their owners. Re-executes this
    // very command in that namespace and exits with its status; returns at
    // once when already there or when running as real root. Then, unless
    // `check_driver` is false (system reset), settles driver() before any
    // storage work.
    void enter_storage_namespace(bool check_driver = true);
    // Rootless, outside the namespace: runs this same command line there
    // with kPullOnlyEnv set (it stops once the image is in the store) and
    // returns its exit status; the caller goes on here. As root, or inside
    // already: returns -1 and does nothing.
    int pull_in_storage_namespace();

    // Closes the database (reopened on next use). A process that forks
    // must not carry an open SQLite connection into the child: SQLite's
    // per-process lock bookkeeping would be shared and wrong there.
    void release_db();

private:
    Context& ctx_;
    std::unique_ptr<state::Database> db_;
    std::unique_ptr<image::Store> images_;
    std::unique_ptr<layers::Driver> driver_;
};

}  // namespace skiff::engine
