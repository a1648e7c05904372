#include "cli/help.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace skiff::cli {

std::string flag_signature(const Flag& f) {
    std::string s = f.shorthand ? std::string("-") + f.shorthand + ", " : "    ";
    s += "--" + f.name;
    if (f.type != FlagType::Bool) s += " " + (f.value_name.empty() ? std::string("string") : f.value_name);
    return s;
}

std::string flag_lines(const std::vector<Flag>& flags) {
    size_t width = 0;
    for (auto& f : flags)
        if (!f.hidden) width = std::max(width, flag_signature(f).size());
    std::string out;
    for (auto& f : flags) {
        if (f.hidden) continue;
        std::string sig = flag_signature(f);
        out += "  " + sig + std::string(width - sig.size() + 3, ' ') + f.help;
        if (!f.default_value.empty()) out += " (default " + f.default_value + ")";
        out += "\n";
    }
    return out;
}

std::string command_help(const Table& table, const Command& cmd) {
    (void)table;
    std::string out = "\nUsage:  skiff " + cmd.path;
    if (!cmd.usage.empty()) out += " " + cmd.usage;
    out += "\n\n" + cmd.summary + "\n";
    if (!cmd.description.empty()) out += "\n" + cmd.description + "\n";
    if (!cmd.aliases.empty()) {
        std::vector<std::string> names = {"skiff " + cmd.path};
        for (auto& a : cmd.aliases) names.push_back("skiff " + a);
        out += "\nAliases:\n  " + str::join(names, ", ") + "\n";
    }
    if (!cmd.flags.empty()) out += "\nOptions:\n" + flag_lines(cmd.flags);
    if (!cmd.examples.empty()) {
        out += "\nExamples:\n";
        for (auto& e : cmd.examples) out += "  " + e + "\n";
    }
    return out;
}

std::string group_help(const Table& table, const std::string& group) {
    const GroupInfo* g = table.group(group);
    std::string out = "\nUsage:  skiff " + group + " COMMAND\n\n" + (g ? g->summary : "") + "\n\nCommands:\n";
    auto kids = table.children(group);
    size_t width = 0;
    for (auto& [name, cmd] : kids) width = std::max(width, name.size());
    for (auto& [name, cmd] : kids) out += "  " + name + std::string(width - name.size() + 3, ' ') + cmd->summary + "\n";
    out += "\nRun 'skiff " + group + " COMMAND --help' for more information on a command.\n";
    return out;
}

std::string main_help(const Table& table) {
    std::string out =
        "\nUsage:  skiff [OPTIONS] COMMAND\n\n"
        "A daemonless, rootless container engine that speaks Docker's command line\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (auto& c : table.commands())
        if (!c.hidden && c.path.find(' ') == std::string::npos) rows.emplace_back(c.path, c.summary);
    std::vector<std::pair<std::string, std::string>> groups;
    for (auto& g : table.groups()) groups.emplace_back(g.name, g.summary);
    std::sort(rows.begin(), rows.end());
    std::sort(groups.begin(), groups.end());
    size_t width = 0;
    for (auto& r : rows) width = std::max(width, r.first.size());
    for (auto& r : groups) width = std::max(width, r.first.size());
    auto section = [&](const std::string& title, const auto& list) {
        if (list.empty()) return;
        out += "\n" + title + ":\n";
        for (auto& [name, summary] : list) out += "  " + name + std::string(width - name.size() + 3, ' ') + summary + "\n";
    };
    section("Management Commands", groups);
    section("Commands", rows);
    out += "\nGlobal Options:\n" + flag_lines(global_flags());
    out += "\nRun 'skiff COMMAND --help' for more information on a command.\n";
    return out;
}

}  // namespace skiff::cli
