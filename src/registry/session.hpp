// One registry host as seen by a command: which scheme it speaks, its TLS
// settings, its auth challenge and the tokens got for it. Shared by the
// threads of a pull or push; each thread brings its own HttpClient.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/auth.hpp"
#include "registry/challenge.hpp"
#include "registry/http.hpp"

namespace skiff::registry {

// What the user said on the command line about talking to registries.
struct RegistryOptions {
    std::optional<bool> tls_verify;  // --tls-verify; unset: registries.conf and defaults decide
    std::string authfile;            // --authfile
    std::string cert_dir;            // --cert-dir
    std::optional<Credentials> creds;  // --creds, or login's verification
    int retries = 3;                 // --retry
    double retry_delay = -1;         // --retry-delay seconds; < 0: 1s, 2s, 4s…
};

// Loopback names: plain HTTP is allowed there, as Docker allows it.
bool is_loopback_host(const std::string& host);

class Session {
public:
    // `host` as references name it ("docker.io", "localhost:5000");
    // `insecure` from registries.conf; `auth_key` picks credentials (a
    // repository "quay.io/ns/repo" may have its own), default the host.
    Session(std::string host, const RegistryOptions& opts, bool insecure, std::string auth_key = "");

    const std::string& host() const { return host_; }
    const RegistryOptions& options() const { return opts_; }
    const TlsConfig& tls() const { return tls_; }

    // GET /v2/ once: settles https or http and learns the auth challenge.
    void ping(HttpClient& c);
    // Absolute URL for an API path ("/v2/…"); pings first if needed.
    std::string url(HttpClient& c, const std::string& path);

    // A request with auth and retries (transient network errors, 408, 429,
    // 5xx). Requests with a streamed body are not retried here.
    HttpResponse request(HttpClient& c, HttpRequest req, const std::vector<std::string>& scopes);

    // "Authorization: …" for these scopes, fetching a token when the
    // registry wants one; "" when it wants none.
    std::string authorization(HttpClient& c, const std::vector<std::string>& scopes);
    // After a 401: learns from its challenge and forgets the stale token.
    // False when nothing would change on a retry.
    bool reauthorize(const HttpResponse& resp, const std::vector<std::string>& scopes);

    // Sleeps before retry number `attempt` (0-based): Retry-After when the
    // response has one, else the configured or exponential delay.
    void backoff(int attempt, const HttpResponse* resp) const;
    int retries() const { return opts_.retries; }

    // Verifies `creds` against the registry (login): throws when refused.
    void verify_login(HttpClient& c);
    // Where the credentials sent came from ("" when none were sent).
    std::string credentials_used() const;

private:
    struct Token {
        std::string value;
        std::chrono::steady_clock::time_point expires;
    };
    std::optional<Credentials> credentials();
    std::string fetch_token(HttpClient& c, const std::vector<std::string>& scopes, bool for_login);

    std::string host_;      // as named
    std::string auth_key_;
    std::string api_host_;  // where requests go (registry-1.docker.io for docker.io)
    RegistryOptions opts_;
    TlsConfig tls_;
    bool allow_http_ = false;
    std::string base_;  // "https://host" once pinged

    mutable std::mutex mu_;
    bool pinged_ = false;
    std::optional<Challenge> challenge_;
    std::map<std::string, Token> tokens_;
    bool creds_known_ = false;
    std::optional<Credentials> creds_;
};

// A registry's error answer as one line: "manifest unknown: …".
std::string registry_error_text(const HttpResponse& r);
// The error code of the first error in the body ("MANIFEST_UNKNOWN"), or "".
std::string registry_error_code(const HttpResponse& r);

// Throws the error a failed response means; `what` says what was being
// done ("reading manifest latest in docker.io/library/x"). 404s throw
// NotFound.
[[noreturn]] void raise_for_status(const Session& s, const HttpResponse& r, const std::string& what);

}  // namespace skiff::registry
