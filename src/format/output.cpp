#include "format/output.hpp"

#include "format/gojson.hpp"

namespace skiff::format {

namespace {

constexpr std::string_view kTable = "table";

// Docker's preFormat: spaces around the format go, and the two-character
// escapes \t and \n become real tabs and newlines.
std::string normalize(std::string_view format) {
    while (!format.empty() && format.front() == ' ') format.remove_prefix(1);
    while (!format.empty() && format.back() == ' ') format.remove_suffix(1);
    std::string out;
    out.reserve(format.size());
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] == '\\' && i + 1 < format.size() && (format[i + 1] == 't' || format[i + 1] == 'n')) {
            out += format[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            out += format[i];
        }
    }
    return out;
}

// "{{.ID}}" → "ID"; empty when the template is anything more than one field.
std::string simple_field(std::string_view tmpl) {
    if (tmpl.size() < 6 || tmpl.substr(0, 3) != "{{." || tmpl.substr(tmpl.size() - 2) != "}}") return {};
    std::string_view field = tmpl.substr(3, tmpl.size() - 5);
    for (char c : field) {
        bool ok = c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!ok) return {};
    }
    return std::string(field);
}

std::string json_lines(const std::vector<Json>& rows) {
    // Docker renders "json" as {{json .}}, whose encoder leaves <, >, & be.
    GoJsonStyle style;
    style.escape_html = false;
    std::string out;
    for (const Json& row : rows) {
        append_go_json(out, row, style);
        out += '\n';
    }
    return out;
}

std::string plain_rows(const Template& tmpl, const std::vector<Json>& rows) {
    std::string out;
    for (const Json& row : rows) {
        tmpl.render_to(out, row);
        out += '\n';
    }
    return out;
}

std::string table(const Template& tmpl, const std::string& header, const std::vector<Json>& rows, bool noheading) {
    TableWriter writer;
    if (!noheading) {
        writer.write(header);
        writer.write("\n");
    }
    std::string text;
    for (const Json& row : rows) {
        text.clear();
        tmpl.render_to(text, row);
        text += '\n';
        writer.write(text);
    }
    return writer.render();
}

std::string default_table(const std::vector<Json>& rows, const ListOptions& options) {
    std::string format;
    std::string header;
    for (size_t i = 0; i < options.default_columns.size(); ++i) {
        if (i > 0) {
            format += '\t';
            header += '\t';
        }
        header += options.default_columns[i].first;
        format += options.default_columns[i].second;
    }
    Template tmpl = Template::parse(format, options.functions);
    return table(tmpl, header, rows, options.noheading);
}

HeaderMap table_headers(const ListOptions& options) {
    HeaderMap headers = options.headers;
    for (const auto& [header, tmpl] : options.default_columns) {
        std::string field = simple_field(tmpl);
        if (!field.empty()) headers.emplace(field, header);
    }
    return headers;
}

}  // namespace

std::string format_list(const std::string& format, const std::vector<Json>& rows, const ListOptions& options) {
    if (format.empty() || format == kTable) return default_table(rows, options);
    if (format == "json") return json_lines(rows);
    bool is_table = format.compare(0, kTable.size(), kTable) == 0;
    std::string text = normalize(is_table ? std::string_view(format).substr(kTable.size()) : std::string_view(format));
    Template tmpl = Template::parse(text, options.functions);
    if (!is_table) return plain_rows(tmpl, rows);
    std::string header = options.noheading ? std::string() : tmpl.render_header(table_headers(options));
    return table(tmpl, header, rows, options.noheading);
}

std::string format_list(const std::string& format, const std::vector<Json>& rows,
                        const std::vector<Column>& default_columns, bool noheading) {
    ListOptions options;
    options.default_columns = default_columns;
    options.noheading = noheading;
    return format_list(format, rows, options);
}

std::string format_inspect(const std::string& format, const std::vector<Json>& objects, const Functions& functions) {
    if (format.empty() || format == "json") {
        if (objects.empty()) return "[]\n";
        GoJsonStyle style;
        if (format.empty()) style.indent = "    ";
        Json array = Json::array();
        for (const Json& object : objects) array.push_back(object);
        return go_json(array, style) + "\n";
    }
    Template tmpl = Template::parse(format, functions);
    std::string out;
    for (const Json& object : objects) {
        tmpl.render_to(out, object);
        out += '\n';
    }
    // Docker prints an empty line when nothing was rendered.
    if (out.empty()) out.push_back('\n');
    return out;
}

}  // namespace skiff::format
