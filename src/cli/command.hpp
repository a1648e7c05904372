// The command table: every command is declared once, as data. Help text, man
// pages and shell completions are all generated from these declarations.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace skiff {
class Context;
}

namespace skiff::cli {

enum class FlagType { Bool, String, List, Int };

// What a value (of a flag or a positional) names, for shell completion.
enum class Complete { None, File, Dir, Container, Image, Volume, Network, Command, Fixed };

struct Flag {
    std::string name;  // long name, without dashes
    char shorthand = 0;
    FlagType type = FlagType::Bool;
    std::string help;
    std::string value_name;     // shown in help: "--name string"
    std::string default_value;  // shown in help when not empty
    Complete complete = Complete::None;
    std::vector<std::string> choices;  // for Complete::Fixed
    bool hidden = false;
};

class Args {
public:
    std::vector<std::string> positionals;

    bool has(const std::string& name) const { return values_.count(name) != 0; }
    bool flag(const std::string& name) const;
    std::string str(const std::string& name, const std::string& fallback = "") const;
    std::optional<std::string> opt(const std::string& name) const;
    const std::vector<std::string>& list(const std::string& name) const;
    long long integer(const std::string& name, long long fallback = 0) const;

    void set(const std::string& name, const std::string& value) { values_[name] = {value}; }
    void append(const std::string& name, const std::string& value) { values_[name].push_back(value); }

private:
    std::map<std::string, std::vector<std::string>> values_;
};

using Handler = int (*)(Context&, const Args&);

struct Command {
    std::string path;                  // "ps", "volume create"
    std::vector<std::string> aliases;  // full paths: "container ls", "container list"
    std::string usage;                 // after the path: "[OPTIONS] CONTAINER [CONTAINER...]"
    std::string summary;               // one line
    std::string description;           // optional longer text for help and man
    std::vector<Flag> flags;
    Handler handler = nullptr;
    int min_args = 0;
    int max_args = -1;  // -1: unlimited
    // Docker's run/exec: flags end at the first positional (the image or
    // container), so the container's own command keeps its dashes.
    bool flags_before_args_only = false;
    // The command parses its own words (e.g. `oci`, whose flags follow runc's
    // rules); Args::positionals holds them untouched.
    bool raw_args = false;
    Complete arg_complete = Complete::None;
    std::vector<std::string> examples;
    bool hidden = false;
};

// Groups such as "container" or "volume" are not commands of their own: they
// are the prefixes that several command paths share.
struct GroupInfo {
    std::string name;
    std::string summary;
};

class Table {
public:
    void add(Command cmd);
    void add_group(GroupInfo group);

    const std::vector<Command>& commands() const { return commands_; }
    const std::vector<GroupInfo>& groups() const { return groups_; }
    const GroupInfo* group(const std::string& name) const;
    const Command* find(const std::string& path) const;  // by path or alias

    // Children of a group: commands whose path or alias starts with "group ".
    std::vector<std::pair<std::string, const Command*>> children(const std::string& group) const;

    // Longest match of leading words; sets `consumed` to the number of words used.
    const Command* resolve(const std::vector<std::string>& words, size_t& consumed) const;

    // All names a user can type at the top level (commands and groups).
    std::vector<std::string> top_level_names() const;

private:
    std::vector<Command> commands_;
    std::vector<GroupInfo> groups_;
};

// Flags every command accepts (persistent flags, as in Podman).
const std::vector<Flag>& global_flags();

// Parses argv for `cmd` (words after the command path). Unknown flags and
// bad values raise skiff::Error with a suggestion.
Args parse(const Command& cmd, const std::vector<std::string>& words);

// Closest of `candidates` to `word`, or empty when nothing is close.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace skiff::cli
