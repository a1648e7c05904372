// How commands print: --format templates, JSON and tables.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/json.hpp"

namespace skiff::commands {

// "json" prints indented JSON; anything else is a Go template.
void print_template(const std::string& format, const Json& data);

// A list command's output. `columns` are (header, template) pairs of the
// default table; `format` may be empty/"table", "json", "table TEMPLATE" or
// a template.
struct Column {
    std::string header;
    std::string field;  // template, e.g. "{{.ID}}"
};
void print_list(const std::string& format, const std::vector<Json>& rows, const std::vector<Column>& columns,
                bool noheading);

// `inspect`: an indented JSON array, or one template line per object.
void print_inspect(const std::string& format, const std::vector<Json>& objects);

// --label/--opt values: KEY=VALUE each ("KEY" alone maps to ""); `what`
// names the flag in errors.
std::map<std::string, std::string> key_values(const std::vector<std::string>& items, const char* what);

// Asks a yes/no question on the terminal (Docker's prune prompts).
bool confirm(const std::string& question);

}  // namespace skiff::commands
