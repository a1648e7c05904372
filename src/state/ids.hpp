// IDs are 64 hex characters, shown as 12; names are Docker's adjective_surname.
#pragma once

#include <string>
#include <string_view>

#include "state/db.hpp"

namespace skiff::state {

std::string random_id();
std::string short_id(std::string_view id);
std::string random_name();

// Finds a row of `table` by exact name, exact ID or unique ID prefix.
// Throws NotFound ("no such <kind>: ref") or Error for an ambiguous prefix.
// `table`, `id_col` and `name_col` are trusted SQL identifiers.
std::string resolve_id(Database& db, std::string_view table, std::string_view id_col,
                       std::string_view name_col, std::string_view ref, std::string_view kind);

}  // namespace skiff::state
