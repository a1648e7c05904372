// Output helpers for commands: aligned tables, `--format` handling for list
// commands (ps, images, volume ls…) and for inspect, as the Docker CLI does.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "format/template.hpp"
#include "util/json.hpp"

namespace skiff::format {

// Aligned columns exactly as Docker prints them: Go's tabwriter with
// tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). A column is as wide as its
// widest cell plus 3 spaces, and at least 10; the last cell of each line is
// not padded. Widths count runes, as Go's tabwriter does.
class TableWriter {
public:
    explicit TableWriter(size_t min_width = 10, size_t padding = 3) : min_width_(min_width), padding_(padding) {}

    void add_row(const std::vector<std::string>& cells);
    // Raw text as tabwriter reads it: '\t' ends a cell, '\n' ends a line.
    void write(std::string_view text) { text_ += text; }

    std::string render() const;

private:
    size_t min_width_;
    size_t padding_;
    std::string text_;
};

// A default column: its header and its template ("CONTAINER ID", "{{.ID}}").
using Column = std::pair<std::string, std::string>;

struct ListOptions {
    std::vector<Column> default_columns;
    // Headers of `table` formats by field name; the default columns' simple
    // fields ("{{.ID}}") are added to these.
    HeaderMap headers;
    Functions functions;
    bool noheading = false;
};

// Docker's rules for a list command's --format:
//   "" or "table"   the default columns as a table
//   "json"          one compact JSON object per line
//   "table TMPL"    TMPL per row, aligned, under a header row
//   anything else   TMPL per row, one line each
// `\t` and `\n` written as two characters in the format stand for a tab and
// a newline; a tab separates table columns.
std::string format_list(const std::string& format, const std::vector<Json>& rows, const ListOptions& options);
std::string format_list(const std::string& format, const std::vector<Json>& rows,
                        const std::vector<Column>& default_columns, bool noheading);

// Docker's inspect output: "" prints a JSON array indented by 4 spaces,
// "json" a compact array, anything else is a template rendered once per
// object, one line each.
std::string format_inspect(const std::string& format, const std::vector<Json>& objects, const Functions& functions = {});

}  // namespace skiff::format
