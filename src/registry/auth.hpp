// Registry credentials where Podman and Docker keep them: Podman's
// auth.json, then Docker's config.json with its credential helpers.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace skiff::registry {

struct Credentials {
    std::string username;
    std::string password;
    std::string identity_token;  // an OAuth2 refresh token instead of a password
    std::string source;          // file or helper it came from, for messages

    bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// The auth.json that login writes and logout edits: --authfile, else
// $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json (as root:
// /run/containers/0/auth.json).
std::string primary_auth_file(const std::string& authfile_flag);

// Every file read for credentials, in order: the primary auth.json,
// ~/.config/containers/auth.json, then $DOCKER_CONFIG/config.json or
// ~/.docker/config.json.
std::vector<std::string> auth_files(const std::string& authfile_flag);

// "registry.example.com", "https://index.docker.io/v1/" and the like →
// the key Podman uses ("docker.io", "quay.io/ns/repo").
std::string normalize_auth_key(std::string key);

// Credentials for a repository ("quay.io/ns/repo") or a registry
// ("quay.io"): the most specific auth.json key wins, then the registry's.
// Credential helpers named by credHelpers/credsStore are run.
std::optional<Credentials> find_credentials(const std::string& authfile_flag, const std::string& repo_or_registry);

// Writes `creds` under `key` into `file` atomically, mode 0600.
void store_credentials(const std::string& file, const std::string& key, const Credentials& creds);
// Removes `key`; false when it was not there.
bool remove_credentials(const std::string& file, const std::string& key);
// Empties the file's "auths".
void remove_all_credentials(const std::string& file);

// "user:pass" (the --creds flag); a missing password is asked for.
Credentials parse_creds_flag(const std::string& value);

// Runs docker-credential-NAME get for `server`.
std::optional<Credentials> helper_get(const std::string& helper, const std::string& server);

std::string base64_encode(const std::string& in);
std::string base64_decode(const std::string& in);

}  // namespace skiff::registry
