// pull, push, login, logout, search: the registry client's commands.
#include "commands/registry.hpp"

namespace skiff::commands {

void register_registry(cli::Table& t) { (void)t; }

}  // namespace skiff::commands
