// Man pages and shell completions, generated from the command table so that
// they never drift from the code.
#pragma once

#include <string>

#include "cli/command.hpp"

namespace skiff::cli {

// roff man page for one command ("skiff-volume-create.1").
std::string man_page(const Table& table, const Command& cmd, const std::string& version);
std::string man_page_main(const Table& table, const std::string& version);
std::string man_file_name(const std::string& path);

std::string completion_script(const Table& table, const std::string& shell);

}  // namespace skiff::cli
