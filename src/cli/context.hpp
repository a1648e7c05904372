// What a command handler gets: the global options, and the engine's pieces
// built lazily so that `skiff version` never opens the database.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "state/config.hpp"
#include "state/paths.hpp"

namespace skiff {

struct GlobalOptions {
    std::string root, runroot, storage_driver, runtime, log_level = "warn", config;
};

class Context {
public:
    Context(const cli::Table& table, GlobalOptions globals, std::vector<std::string> argv)
        : table_(table), globals_(std::move(globals)), argv_(std::move(argv)) {}

    const cli::Table& table() const { return table_; }
    const GlobalOptions& globals() const { return globals_; }
    const state::Paths& paths();
    // Config with the command-line overrides applied.
    const state::Config& config();
    // The command line this process was started with (for re-exec).
    const std::vector<std::string>& argv() const { return argv_; }
    bool debug() const { return globals_.log_level == "debug" || globals_.log_level == "trace"; }

private:
    const cli::Table& table_;
    GlobalOptions globals_;
    std::vector<std::string> argv_;
    std::optional<state::Paths> paths_;
    std::optional<state::Config> config_;
};

}  // namespace skiff
