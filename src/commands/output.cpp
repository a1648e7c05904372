#include "commands/output.hpp"

#include <unistd.h>

#include <iostream>

#include "format/output.hpp"
#include "format/template.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::commands {

std::map<std::string, std::string> key_values(const std::vector<std::string>& items, const char* what) {
    std::map<std::string, std::string> out;
    for (auto& i : items) {
        auto [k, v] = str::split_once(i, '=');
        if (k.empty()) throw Error(std::string("invalid ") + what + " \"" + i + "\": expected KEY=VALUE");
        out[k] = v;
    }
    return out;
}

void print_template(const std::string& format, const Json& data) {
    if (format == "json") {
        std::cout << data.dump(4) << "\n";
        return;
    }
    std::cout << format::Template::parse(format).render(data) << "\n";
}

void print_list(const std::string& format, const std::vector<Json>& rows, const std::vector<Column>& columns,
                bool noheading) {
    std::vector<std::pair<std::string, std::string>> cols;
    for (auto& c : columns) cols.emplace_back(c.header, c.field);
    std::cout << format::format_list(format, rows, cols, noheading);
}

void print_inspect(const std::string& format, const std::vector<Json>& objects) {
    std::cout << format::format_inspect(format, objects);
}

bool confirm(const std::string& question) {
    std::cout << question << " [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes";
}

}  // namespace skiff::commands
