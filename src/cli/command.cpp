#include "cli/command.hpp"

#include <algorithm>
#include <set>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::cli {

namespace {
const std::vector<std::string> kEmpty;
}

bool Args::flag(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return false;
    return it->second.back() == "true";
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return fallback;
    return it->second.back();
}

std::optional<std::string> Args::opt(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

const std::vector<std::string>& Args::list(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? kEmpty : it->second;
}

long long Args::integer(const std::string& name, long long fallback) const {
    auto v = opt(name);
    if (!v) return fallback;
    try {
        size_t used = 0;
        long long n = std::stoll(*v, &used);
        if (used != v->size()) throw std::invalid_argument("trailing");
        return n;
    } catch (const std::exception&) {
        throw Error("invalid argument \"" + *v + "\" for \"--" + name + "\" flag: not an integer");
    }
}

void Table::add(Command cmd) { commands_.push_back(std::move(cmd)); }
void Table::add_group(GroupInfo group) { groups_.push_back(std::move(group)); }

const GroupInfo* Table::group(const std::string& name) const {
    for (auto& g : groups_)
        if (g.name == name) return &g;
    return nullptr;
}

const Command* Table::find(const std::string& path) const {
    for (auto& c : commands_) {
        if (c.path == path) return &c;
        for (auto& a : c.aliases)
            if (a == path) return &c;
    }
    return nullptr;
}

std::vector<std::pair<std::string, const Command*>> Table::children(const std::string& group) const {
    std::vector<std::pair<std::string, const Command*>> out;
    std::string prefix = group + " ";
    for (auto& c : commands_) {
        if (c.hidden) continue;
        auto consider = [&](const std::string& p, bool primary) {
            if (p.rfind(prefix, 0) != 0) return;
            std::string rest = p.substr(prefix.size());
            if (rest.find(' ') != std::string::npos) return;
            // One line per command: the first name under this group.
            for (auto& [name, cmd] : out)
                if (cmd == &c) return;
            (void)primary;
            out.emplace_back(rest, &c);
        };
        consider(c.path, true);
        for (auto& a : c.aliases) consider(a, false);
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
    return out;
}

const Command* Table::resolve(const std::vector<std::string>& words, size_t& consumed) const {
    for (size_t n = std::min<size_t>(words.size(), 3); n > 0; --n) {
        std::vector<std::string> head(words.begin(), words.begin() + static_cast<long>(n));
        if (auto* c = find(str::join(head, " "))) {
            consumed = n;
            return c;
        }
    }
    consumed = 0;
    return nullptr;
}

std::vector<std::string> Table::top_level_names() const {
    std::set<std::string> names;
    for (auto& c : commands_) {
        if (c.hidden) continue;
        if (c.path.find(' ') == std::string::npos) names.insert(c.path);
        for (auto& a : c.aliases)
            if (a.find(' ') == std::string::npos) names.insert(a);
    }
    for (auto& g : groups_) names.insert(g.name);
    return {names.begin(), names.end()};
}

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_d = std::string::npos;
    for (auto& c : candidates) {
        size_t d = str::edit_distance(word, c);
        bool prefix = c.rfind(word, 0) == 0 && word.size() >= 2;
        if (prefix) d = std::min<size_t>(d, 1);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    size_t limit = std::max<size_t>(2, word.size() / 3);
    return best_d <= limit ? best : "";
}

}  // namespace skiff::cli
