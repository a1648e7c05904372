// pflag-compatible parsing: --name value, --name=value, -abc, -p80:80, "--"
// ends flags; bool flags take =true/=false only in the attached form.
#include <algorithm>

#include "cli/command.hpp"
#include "util/error.hpp"

namespace skiff::cli {

const std::vector<Flag>& global_flags() {
    static const std::vector<Flag> flags = {
        {"root", 0, FlagType::String, "Path to the root directory in which data, including images, is stored", "value", "", Complete::Dir},
        {"runroot", 0, FlagType::String, "Path to the 'run directory' where all state information is stored", "value", "", Complete::Dir},
        {"storage-driver", 0, FlagType::String, "Select which storage driver is used to manage storage of images and containers", "value", "", Complete::Fixed, {"overlay", "fuse-overlayfs", "vfs"}},
        {"runtime", 0, FlagType::String, "Path to the OCI-compatible binary used to run containers (builtin, crun, runc or a path)", "value", "", Complete::File},
        {"log-level", 0, FlagType::String, "Log messages above specified level (trace, debug, info, warn, error, fatal, panic)", "string", "warn", Complete::Fixed, {"trace", "debug", "info", "warn", "error", "fatal", "panic"}},
        {"config", 0, FlagType::String, "Path to the skiff.conf configuration file", "path", "", Complete::File},
    };
    return flags;
}

namespace {

const Flag* lookup_long(const Command& cmd, const std::string& name) {
    for (auto& f : cmd.flags)
        if (f.name == name) return &f;
    for (auto& f : global_flags())
        if (f.name == name) return &f;
    return nullptr;
}

const Flag* lookup_short(const Command& cmd, char c) {
    for (auto& f : cmd.flags)
        if (f.shorthand == c) return &f;
    return nullptr;
}

std::string see_help(const Command& cmd) { return "See 'skiff " + cmd.path + " --help'"; }

[[noreturn]] void unknown_flag(const Command& cmd, const std::string& shown, const std::string& name) {
    std::vector<std::string> names;
    for (auto& f : cmd.flags)
        if (!f.hidden) names.push_back(f.name);
    for (auto& f : global_flags()) names.push_back(f.name);
    std::string msg = "unknown flag: " + shown;
    std::string s = name.size() > 1 ? suggest(name, names) : "";
    if (!s.empty()) msg += " (did you mean --" + s + "?)";
    throw Error(msg + ". " + see_help(cmd));
}

void store(Args& args, const Flag& f, const std::string& value) {
    switch (f.type) {
    case FlagType::Bool:
        if (value != "true" && value != "false")
            throw Error("invalid argument \"" + value + "\" for \"--" + f.name + "\" flag: expected true or false");
        args.set(f.name, value);
        break;
    case FlagType::Int: {
        bool ok = !value.empty();
        for (size_t i = 0; i < value.size(); ++i)
            if (!(std::isdigit(static_cast<unsigned char>(value[i])) || (i == 0 && value[i] == '-'))) ok = false;
        if (!ok) throw Error("invalid argument \"" + value + "\" for \"--" + f.name + "\" flag: not an integer");
        args.set(f.name, value);
        break;
    }
    case FlagType::String:
        args.set(f.name, value);
        break;
    case FlagType::List:
        args.append(f.name, value);
        break;
    }
}

}  // namespace

Args parse(const Command& cmd, const std::vector<std::string>& words) {
    Args args;
    if (cmd.raw_args) {
        args.positionals = words;
        return args;
    }
    bool flags_done = false;
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (flags_done || w == "-" || w.size() < 2 || w[0] != '-') {
            args.positionals.push_back(w);
            if (cmd.flags_before_args_only) flags_done = true;
            continue;
        }
        if (w == "--") {
            flags_done = true;
            continue;
        }
        auto take_value = [&](const std::string& shown) -> std::string {
            if (i + 1 >= words.size())
                throw Error("flag needs an argument: " + shown + ". " + see_help(cmd));
            return words[++i];
        };
        if (w[1] == '-') {
            std::string body = w.substr(2);
            auto eq = body.find('=');
            std::string name = body.substr(0, eq);
            const Flag* f = lookup_long(cmd, name);
            if (!f) unknown_flag(cmd, "--" + name, name);
            if (eq != std::string::npos) store(args, *f, body.substr(eq + 1));
            else if (f->type == FlagType::Bool) store(args, *f, "true");
            else store(args, *f, take_value("--" + name));
            continue;
        }
        // Shorthand cluster: -it, -p80:80, -e=FOO
        for (size_t j = 1; j < w.size(); ++j) {
            char c = w[j];
            const Flag* f = lookup_short(cmd, c);
            if (!f) unknown_flag(cmd, std::string("-") + c, std::string(1, c));
            if (f->type == FlagType::Bool) {
                if (j + 1 < w.size() && w[j + 1] == '=') {
                    store(args, *f, w.substr(j + 2));
                    break;
                }
                store(args, *f, "true");
                continue;
            }
            std::string rest = w.substr(j + 1);
            if (!rest.empty() && rest[0] == '=') rest.erase(0, 1);
            store(args, *f, rest.empty() ? take_value(std::string("-") + c) : rest);
            break;
        }
    }
    int n = static_cast<int>(args.positionals.size());
    if (n < cmd.min_args || (cmd.max_args >= 0 && n > cmd.max_args)) {
        std::string want;
        if (cmd.min_args == cmd.max_args) want = "exactly " + std::to_string(cmd.min_args);
        else if (cmd.max_args < 0) want = "at least " + std::to_string(cmd.min_args);
        else if (n < cmd.min_args) want = "at least " + std::to_string(cmd.min_args);
        else want = "at most " + std::to_string(cmd.max_args);
        throw Error("\"skiff " + cmd.path + "\" requires " + want + " argument" +
                    (cmd.min_args == 1 && cmd.max_args == 1 ? "" : "s") + ", got " + std::to_string(n) + ". " +
                    see_help(cmd));
    }
    return args;
}

}  // namespace skiff::cli
