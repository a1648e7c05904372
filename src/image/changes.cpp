#include "image/changes.hpp"

#include <cctype>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::image {

namespace {

// Splits shell-style words honouring quotes and backslashes (ENV, LABEL).
std::vector<std::string> shell_words(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quote) {
            if (c == quote) quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < s.size()) cur += s[++i];
            else cur += c;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < s.size()) {
            cur += s[++i];
            in_word = true;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) out.push_back(cur);
            cur.clear();
            in_word = false;
        } else {
            cur += c;
            in_word = true;
        }
    }
    if (quote) throw Error("unterminated quote in \"" + s + "\"");
    if (in_word) out.push_back(cur);
    return out;
}

// KEY=VALUE pairs, or the legacy "KEY VALUE" form.
std::vector<std::pair<std::string, std::string>> key_values(const std::string& args, const std::string& instr) {
    std::vector<std::pair<std::string, std::string>> out;
    auto words = shell_words(args);
    if (words.empty()) throw Error(instr + " requires at least one argument");
    if (words[0].find('=') == std::string::npos) {
        auto sp = args.find_first_of(" \t");
        if (sp == std::string::npos) throw Error(instr + " " + args + ": expected KEY=VALUE or KEY VALUE");
        auto value = shell_words(str::trim(args.substr(sp)));
        out.emplace_back(words[0], str::join(value, " "));
        return out;
    }
    for (auto& w : words) {
        auto [k, v] = str::split_once(w, '=');
        if (w.find('=') == std::string::npos || k.empty()) throw Error(instr + ": \"" + w + "\" is not KEY=VALUE");
        out.emplace_back(k, v);
    }
    return out;
}

Json set_env(Json env, const std::string& key, const std::string& value) {
    if (!env.is_array()) env = Json::array();
    for (auto& e : env) {
        auto s = e.get<std::string>();
        if (s.substr(0, s.find('=')) == key) {
            e = key + "=" + value;
            return env;
        }
    }
    env.push_back(key + "=" + value);
    return env;
}

}  // namespace

std::vector<std::string> parse_command(const std::string& text, bool& json_form) {
    std::string t = str::trim(text);
    json_form = false;
    if (!t.empty() && t[0] == '[') {
        try {
            Json j = Json::parse(t);
            std::vector<std::string> out;
            for (auto& e : j) out.push_back(e.get<std::string>());
            json_form = true;
            return out;
        } catch (const std::exception&) {
            // Docker falls back to the shell form when the JSON is malformed.
        }
    }
    return {"/bin/sh", "-c", t};
}

void apply_change(Json& config, const std::string& instruction) {
    std::string line = str::trim(instruction);
    auto sp = line.find_first_of(" \t");
    std::string name = str::upper(line.substr(0, sp));
    std::string args = sp == std::string::npos ? "" : str::trim(line.substr(sp));
    if (!config.is_object()) config = Json::object();
    bool json_form = false;
    if (name == "CMD") {
        config["Cmd"] = parse_command(args, json_form);
    } else if (name == "ENTRYPOINT") {
        config["Entrypoint"] = parse_command(args, json_form);
    } else if (name == "ENV") {
        for (auto& [k, v] : key_values(args, name)) config["Env"] = set_env(config.value("Env", Json::array()), k, v);
    } else if (name == "LABEL") {
        for (auto& [k, v] : key_values(args, name)) config["Labels"][k] = v;
    } else if (name == "EXPOSE") {
        for (auto& p : shell_words(args)) {
            std::string port = p.find('/') == std::string::npos ? p + "/tcp" : p;
            config["ExposedPorts"][port] = Json::object();
        }
    } else if (name == "USER") {
        if (args.empty()) throw Error("USER requires an argument");
        config["User"] = args;
    } else if (name == "WORKDIR") {
        if (args.empty()) throw Error("WORKDIR requires an argument");
        config["WorkingDir"] = args;
    } else if (name == "VOLUME") {
        auto vols = parse_command(args, json_form);
        if (!json_form) vols = shell_words(args);
        for (auto& v : vols) config["Volumes"][v] = Json::object();
    } else if (name == "STOPSIGNAL") {
        if (args.empty()) throw Error("STOPSIGNAL requires an argument");
        config["StopSignal"] = args;
    } else if (name == "ONBUILD") {
        config["OnBuild"].push_back(args);
    } else {
        throw Error("invalid change \"" + instruction +
                    "\": the instruction must be one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, "
                    "USER, VOLUME, WORKDIR");
    }
}

}  // namespace skiff::image
