#pragma once

#include <string>

#include "cli/command.hpp"

namespace skiff::cli {

// Docker's help layout for one command.
std::string command_help(const Table& table, const Command& cmd);
// The list of a group's subcommands ("skiff volume --help").
std::string group_help(const Table& table, const std::string& group);
// `skiff --help`.
std::string main_help(const Table& table);
// "  -a, --all             Show all…" lines, aligned.
std::string flag_lines(const std::vector<Flag>& flags);
std::string flag_signature(const Flag& f);

}  // namespace skiff::cli
