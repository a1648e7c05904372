// login, logout and --get-login: credentials checked against the registry,
// then kept in auth.json.
#pragma once

#include <optional>
#include <string>

#include "registry/auth.hpp"
#include "registry/session.hpp"

namespace skiff::registry {

// The auth.json key for what the user typed ("https://quay.io/" → "quay.io",
// "quay.io/ns" stays). Empty: the first search registry, else docker.io.
std::string login_key(const std::string& server);

// Checks `creds` against the registry, then stores them; returns the file.
std::string login(const std::string& key, const Credentials& creds, const RegistryOptions& opts);

// The user name stored for `key`, from any credential source.
std::optional<std::string> logged_in_user(const std::string& key, const std::string& authfile);

enum class LogoutResult { Removed, NotLoggedIn, OnlyElsewhere };
// Removes `key` from the primary auth.json. OnlyElsewhere: other files
// (Docker's config.json) still hold credentials skiff will not touch.
LogoutResult logout(const std::string& key, const std::string& authfile, std::string* where = nullptr);
// Removes every entry of the primary auth.json; returns the file.
std::string logout_all(const std::string& authfile);

}  // namespace skiff::registry
