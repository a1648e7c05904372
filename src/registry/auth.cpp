#include "registry/auth.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "registry/prompt.hpp"
#include "state/paths.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/json.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"


namespace skiff::registry {

namespace {

constexpr const char* kDockerHubServer = "https://index.docker.io/v1/";

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
}

// Root of the initial user namespace only: inside skiff's own rootless
// namespace euid is 0 too, but the files are still the user's.
bool real_root() { return ::geteuid() == 0 && !host::in_user_namespace(); }

std::string home() { return env("HOME"); }

std::string docker_config_file() {
    std::string dir = env("DOCKER_CONFIG");
    if (dir.empty()) dir = home().empty() ? "" : home() + "/.docker";
    return dir.empty() ? "" : dir + "/config.json";
}

Json read_json_file(const std::string& path) {
    auto text = fs::read_file_if_exists(path);
    if (!text || str::trim(*text).empty()) return Json::object();
    try {
        Json j = Json::parse(*text);
        if (!j.is_object()) throw Error(path + ": not a JSON object");
        return j;
    } catch (const Json::exception& e) {
        throw Error(path + ": invalid JSON: " + e.what());
    }
}

std::string registry_of(const std::string& key) { return key.substr(0, key.find('/')); }

std::string helper_server(const std::string& registry) {
    return registry == "docker.io" ? kDockerHubServer : registry;
}

std::optional<Credentials> from_entry(const Json& entry, const std::string& file) {
    if (!entry.is_object()) return std::nullopt;
    Credentials c;
    c.source = file;
    std::string auth = entry.value("auth", "");
    if (!auth.empty()) {
        std::string plain = base64_decode(auth);
        auto colon = plain.find(':');
        if (colon == std::string::npos) throw Error(file + ": invalid auth entry (no ':' in the decoded value)");
        c.username = plain.substr(0, colon);
        c.password = plain.substr(colon + 1);
    }
    c.identity_token = entry.value("identitytoken", "");
    if (c.empty()) return std::nullopt;  // Docker leaves {} when a credsStore holds the secret
    return c;
}

std::optional<Credentials> from_file(const std::string& file, const std::string& repo) {
    if (file.empty() || !fs::exists(file)) return std::nullopt;
    Json j = read_json_file(file);
    std::string registry = registry_of(repo);
    if (j.contains("credHelpers") && j["credHelpers"].is_object())
        for (auto& [k, v] : j["credHelpers"].items())
            if (normalize_auth_key(k) == registry && v.is_string()) return helper_get(v.get<std::string>(), registry);
    if (j.contains("auths") && j["auths"].is_object()) {
        // Most specific first: quay.io/ns/repo, quay.io/ns, quay.io.
        std::string key = repo;
        for (;;) {
            for (auto& [k, v] : j["auths"].items())
                if (normalize_auth_key(k) == key)
                    if (auto c = from_entry(v, file)) return c;
            auto slash = key.rfind('/');
            if (slash == std::string::npos) break;
            key.resize(slash);
        }
    }
    if (j.contains("credsStore") && j["credsStore"].is_string())
        return helper_get(j["credsStore"].get<std::string>(), registry);
    return std::nullopt;
}

}  // namespace

std::string base64_encode(const std::string& in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    while (i + 2 < in.size()) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
        i += 3;
    }
    if (i + 1 == in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string base64_decode(const std::string& in) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
        int v = val(c);
        if (v < 0) throw Error("invalid base64 in credentials");
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::string primary_auth_file(const std::string& authfile_flag) {
    if (!authfile_flag.empty()) return authfile_flag;
    if (auto e = env("REGISTRY_AUTH_FILE"); !e.empty()) return e;
    if (real_root()) return "/run/containers/0/auth.json";
    return state::user_runtime_dir() + "/containers/auth.json";
}

std::vector<std::string> auth_files(const std::string& authfile_flag) {
    std::vector<std::string> files = {primary_auth_file(authfile_flag)};
    if (authfile_flag.empty() && env("REGISTRY_AUTH_FILE").empty()) {
        std::string xdg = env("XDG_CONFIG_HOME");
        if (xdg.empty() && !home().empty()) xdg = home() + "/.config";
        if (!xdg.empty()) files.push_back(xdg + "/containers/auth.json");
    }
    if (auto d = docker_config_file(); !d.empty()) files.push_back(d);
    return files;
}

std::string normalize_auth_key(std::string key) {
    for (const char* scheme : {"https://", "http://"})
        if (key.rfind(scheme, 0) == 0) {
            key = key.substr(std::strlen(scheme));
            // Docker's keys are URLs: "https://index.docker.io/v1/".
            auto slash = key.find('/');
            if (slash != std::string::npos) {
                std::string path = key.substr(slash);
                if (path == "/" || path == "/v1/" || path == "/v1" || path == "/v2/" || path == "/v2") key.resize(slash);
            }
        }
    while (!key.empty() && key.back() == '/') key.pop_back();
    std::string reg = registry_of(key);
    if (reg == "index.docker.io" || reg == "registry-1.docker.io" || reg == "registry.hub.docker.com")
        key = "docker.io" + key.substr(reg.size());
    return key;
}

std::optional<Credentials> find_credentials(const std::string& authfile_flag, const std::string& repo) {
    std::string key = normalize_auth_key(repo);
    for (auto& f : auth_files(authfile_flag))
        if (auto c = from_file(f, key)) return c;
    return std::nullopt;
}

std::optional<Credentials> helper_get(const std::string& helper, const std::string& registry) {
    std::string tool = "docker-credential-" + helper;
    if (!fs::find_executable(tool)) {
        std::cerr << "WARNING: credential helper " << tool << " is not installed; going on without credentials for "
                  << registry << "\n";
        return std::nullopt;
    }
    auto res = run_capture({tool, "get"}, helper_server(registry) + "\n");
    if (res.status != 0) {
        std::string why = str::trim(res.out + res.err);
        // The helpers' way of saying "nothing stored for this server".
        if (why.find("credentials not found") != std::string::npos) return std::nullopt;
        throw Error(tool + " get failed for " + registry + ": " + (why.empty() ? "exit " + std::to_string(res.status) : why));
    }
    Json j;
    try {
        j = Json::parse(res.out);
    } catch (const Json::exception&) {
        throw Error(tool + " get: the helper's answer is not JSON");
    }
    Credentials c;
    c.source = tool;
    c.username = j.value("Username", "");
    std::string secret = j.value("Secret", "");
    // Docker's convention: user "<token>" carries an identity token.
    if (c.username == "<token>") {
        c.username.clear();
        c.identity_token = secret;
    } else {
        c.password = secret;
    }
    if (c.empty()) return std::nullopt;
    return c;
}

void store_credentials(const std::string& file, const std::string& key, const Credentials& creds) {
    Json j = read_json_file(file);
    if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = Json::object();
    Json entry = {{"auth", base64_encode(creds.username + ":" + creds.password)}};
    if (!creds.identity_token.empty()) entry["identitytoken"] = creds.identity_token;
    std::string norm = normalize_auth_key(key);
    // One entry per key: drop older spellings of it ("https://…").
    std::vector<std::string> stale;
    for (auto& [k, v] : j["auths"].items())
        if (k != norm && normalize_auth_key(k) == norm) stale.push_back(k);
    for (auto& k : stale) j["auths"].erase(k);
    j["auths"][norm] = entry;
    fs::make_dirs(fs::dirname(file), 0700);
    fs::write_atomic(file, j.dump(1, '\t') + "\n", 0600);
}

bool remove_credentials(const std::string& file, const std::string& key) {
    if (!fs::exists(file)) return false;
    Json j = read_json_file(file);
    if (!j.contains("auths") || !j["auths"].is_object()) return false;
    std::string norm = normalize_auth_key(key);
    std::vector<std::string> gone;
    for (auto& [k, v] : j["auths"].items())
        if (normalize_auth_key(k) == norm) gone.push_back(k);
    if (gone.empty()) return false;
    for (auto& k : gone) j["auths"].erase(k);
    fs::write_atomic(file, j.dump(1, '\t') + "\n", 0600);
    return true;
}

void remove_all_credentials(const std::string& file) {
    if (!fs::exists(file)) return;
    Json j = read_json_file(file);
    j["auths"] = Json::object();
    fs::write_atomic(file, j.dump(1, '\t') + "\n", 0600);
}

Credentials parse_creds_flag(const std::string& value) {
    Credentials c;
    c.source = "--creds";
    auto colon = value.find(':');
    c.username = value.substr(0, colon);
    if (c.username.empty()) throw Error("--creds: the username must not be empty (USERNAME[:PASSWORD])");
    if (colon == std::string::npos) c.password = prompt_line("Password: ", true);
    else c.password = value.substr(colon + 1);
    return c;
}

}  // namespace skiff::registry
