// The engine: what commands call. It owns the lazily opened state database
// and stores, and knows when a command must run inside the rootless user
// namespace.
#pragma once

#include <memory>
#include <optional>

#include "cli/context.hpp"
#include "image/store.hpp"
#include "state/db.hpp"

namespace skiff::engine {

class Engine {
public:
    explicit Engine(Context& ctx) : ctx_(ctx) {}

    Context& ctx() { return ctx_; }
    const state::Paths& paths() { return ctx_.paths(); }
    state::Database& db();
    image::Store& images();

    // Rootless storage work (unpacking layers, mounting) must run as root
    // of the user namespace so files keep their owners. Re-executes this
    // very command in that namespace and exits with its status; returns at
    // once when already there or when running as real root.
    void enter_storage_namespace();

    // Closes the database (reopened on next use). A process that forks
    // must not carry an open SQLite connection into the child: SQLite's
    // per-process lock bookkeeping would be shared and wrong there.
    void release_db();

private:
    Context& ctx_;
    std::unique_ptr<state::Database> db_;
    std::unique_ptr<image::Store> images_;
};

}  // namespace skiff::engine
