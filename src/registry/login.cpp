#include "registry/login.hpp"

#include "image/reference.hpp"
#include "registry/registries_conf.hpp"
#include "util/error.hpp"

namespace skiff::registry {

std::string login_key(const std::string& server) {
    if (server.empty()) return normalize_auth_key(load_registries_conf().search_or_default().front());
    std::string key = normalize_auth_key(server);
    if (key.empty()) throw Error("invalid registry \"" + server + "\"");
    if (key.find('@') != std::string::npos ||
        (key.rfind(':') != std::string::npos && key.find('/') != std::string::npos &&
         key.rfind(':') > key.find('/')))
        throw Error("login: \"" + server + "\" names a tag or digest: give a registry or a repository");
    return key;
}

std::string login(const std::string& key, const Credentials& creds, const RegistryOptions& opts) {
    std::string host = key.substr(0, key.find('/'));
    RegistryOptions o = opts;
    o.creds = creds;
    bool insecure = false;
    if (auto* e = load_registries_conf().find(key)) insecure = e->insecure;
    Session s(host, o, insecure, key);
    HttpClient c;
    s.verify_login(c);
    std::string file = primary_auth_file(opts.authfile);
    store_credentials(file, key, creds);
    return file;
}

std::optional<std::string> logged_in_user(const std::string& key, const std::string& authfile) {
    auto c = find_credentials(authfile, key);
    if (!c) return std::nullopt;
    return c->username.empty() ? std::optional<std::string>("<token>") : c->username;
}

LogoutResult logout(const std::string& key, const std::string& authfile, std::string* where) {
    std::string file = primary_auth_file(authfile);
    if (where) *where = file;
    if (remove_credentials(file, key)) return LogoutResult::Removed;
    if (auto c = find_credentials(authfile, key)) {
        if (where) *where = c->source;
        return LogoutResult::OnlyElsewhere;
    }
    return LogoutResult::NotLoggedIn;
}

std::string logout_all(const std::string& authfile) {
    std::string file = primary_auth_file(authfile);
    remove_all_credentials(file);
    return file;
}

}  // namespace skiff::registry
