#include "container/detach_keys.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::container {

std::string parse_detach_keys(const std::string& spec) {
    std::string out;
    if (spec.empty()) return out;
    for (auto& k : str::split(spec, ',')) {
        std::string key = str::lower(str::trim(k));
        if (key.rfind("ctrl-", 0) == 0 && key.size() == 6) {
            char c = key[5];
            if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 1);
            else if (c == '@') out += '\0';
            else if (c == '[') out += '\x1b';
            else if (c == '\\') out += '\x1c';
            else if (c == ']') out += '\x1d';
            else if (c == '^') out += '\x1e';
            else if (c == '_') out += '\x1f';
            else throw Error("invalid detach key \"" + k + "\"");
        } else if (key.size() == 1) {
            out += key[0];
        } else {
            throw Error("invalid detach key \"" + k + "\": expected ctrl-<value> or a single character");
        }
    }
    return out;
}

}  // namespace skiff::container
