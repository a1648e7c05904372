#include "registry/session.hpp"

#include <algorithm>
#include <thread>

#include "registry/tls.hpp"
#include "util/error.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace skiff::registry {

namespace {

bool retryable_status(long s) { return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504; }

std::string scopes_key(std::vector<std::string> scopes) {
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    return str::join(scopes, " ");
}

// Bearer is preferred over Basic when a registry offers both.
std::optional<Challenge> pick_challenge(const HttpResponse& r) {
    std::optional<Challenge> basic;
    for (auto& line : r.headers_named("www-authenticate"))
        for (auto& ch : parse_challenges(line)) {
            if (ch.scheme == "bearer") return ch;
            if (ch.scheme == "basic" && !basic) basic = ch;
        }
    return basic;
}

std::string strip_port(const std::string& host) {
    if (!host.empty() && host[0] == '[') return host.substr(1, host.find(']') - 1);
    auto colon = host.rfind(':');
    return colon == std::string::npos ? host : host.substr(0, colon);
}

}  // namespace

bool is_loopback_host(const std::string& host) {
    std::string h = strip_port(host);
    return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0 ||
           (h.size() > 10 && h.compare(h.size() - 10, 10, ".localhost") == 0);
}

Session::Session(std::string host, const RegistryOptions& opts, bool insecure, std::string auth_key)
    : host_(std::move(host)), auth_key_(auth_key.empty() ? host_ : std::move(auth_key)), opts_(opts) {
    api_host_ = host_ == "docker.io" ? "registry-1.docker.io" : host_;
    bool verify = true;
    if (opts_.tls_verify) {
        verify = *opts_.tls_verify;
        allow_http_ = !verify;
    } else {
        verify = !insecure;
        allow_http_ = insecure || is_loopback_host(host_);
    }
    tls_ = tls_for_host(host_, verify, opts_.cert_dir);
}

void Session::backoff(int attempt, const HttpResponse* resp) const {
    double secs = opts_.retry_delay >= 0 ? opts_.retry_delay : static_cast<double>(1 << std::min(attempt, 5));
    if (resp) {
        std::string ra = str::trim(resp->header("retry-after"));
        if (!ra.empty() && str::is_hex(ra) && ra.find_first_not_of("0123456789") == std::string::npos)
            secs = std::min(60.0, std::stod(ra));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(secs * 1000)));
}

void Session::ping(HttpClient& c) {
    std::lock_guard lk(mu_);
    if (pinged_) return;
    std::vector<std::string> schemes = {"https"};
    if (allow_http_) schemes.push_back("http");
    std::optional<Error> first;
    for (auto& scheme : schemes) {
        HttpRequest r;
        r.url = scheme + "://" + api_host_ + "/v2/";
        HttpResponse resp;
        bool reached = false;
        for (int attempt = 0;; ++attempt) {
            try {
                resp = c.perform(r, tls_);
            } catch (const TransportError& e) {
                // A TLS failure is an answer (plain HTTP there, or a bad
                // certificate), not a hiccup: no retry, maybe fall back.
                if (e.transient() && !e.tls() && attempt < opts_.retries) {
                    backoff(attempt, nullptr);
                    continue;
                }
                if (!first) first = e;
                break;
            }
            if (retryable_status(resp.status) && attempt < opts_.retries) {
                backoff(attempt, &resp);
                continue;
            }
            reached = true;
            break;
        }
        if (!reached) continue;
        long st = resp.status;
        // Only a registry's answers count: a TLS server hit with plain HTTP
        // says 400, a web server 404. Those keep the first error.
        if (st != 401 && (st < 200 || st >= 300)) {
            if (!first) {
                if (st == 404) first = Error(host_ + " does not look like a container registry (GET /v2/ answered 404)");
                else if (st == 429) first = Error(host_ + ": too many requests (rate limited); try again later");
                else first = Error(host_ + " is not working as a registry: GET /v2/ answered " + std::to_string(st));
            }
            continue;
        }
        if (st == 401) {
            challenge_ = pick_challenge(resp);
            if (!challenge_) throw Error(host_ + " asks for authentication with a scheme skiff does not support");
        }
        base_ = scheme + "://" + api_host_;
        pinged_ = true;
        return;
    }
    throw *first;
}

std::string Session::url(HttpClient& c, const std::string& path) {
    ping(c);
    return base_ + path;
}

std::optional<Credentials> Session::credentials() {
    if (!creds_known_) {
        creds_known_ = true;
        if (opts_.creds) creds_ = opts_.creds;
        else creds_ = find_credentials(opts_.authfile, auth_key_);
    }
    return creds_;
}

std::string Session::fetch_token(HttpClient& c, const std::vector<std::string>& scopes, bool for_login) {
    const Challenge& ch = *challenge_;
    std::string realm = ch.param("realm");
    if (realm.empty()) throw Error(host_ + ": the registry's Bearer challenge names no token server (realm)");
    std::string service = ch.param("service");
    auto creds = credentials();
    HttpRequest r;
    if (creds && !creds->identity_token.empty()) {
        // An identity token is exchanged with the OAuth2 refresh grant.
        r.method = "POST";
        r.url = realm;
        r.body = "grant_type=refresh_token&client_id=skiff&refresh_token=" + url_escape(creds->identity_token) +
                 "&service=" + url_escape(service) + "&scope=" + url_escape(str::join(scopes, " "));
        r.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    } else {
        std::string q;
        if (!service.empty()) q += "service=" + url_escape(service);
        for (auto& s : scopes) q += (q.empty() ? "" : "&") + std::string("scope=") + url_escape(s);
        if (creds && !creds->username.empty()) q += (q.empty() ? "" : "&") + std::string("account=") + url_escape(creds->username);
        r.url = realm + (q.empty() ? "" : (realm.find('?') == std::string::npos ? "?" : "&") + q);
        if (creds)
            r.headers.push_back(header_line("Authorization", "Basic " + base64_encode(creds->username + ":" + creds->password)));
    }
    HttpResponse resp;
    for (int attempt = 0;; ++attempt) {
        try {
            resp = c.perform(r, tls_);
        } catch (const TransportError& e) {
            if (e.transient() && attempt < opts_.retries) {
                backoff(attempt, nullptr);
                continue;
            }
            throw Error("getting a token for " + host_ + " from " + realm + ": " + e.what());
        }
        if (retryable_status(resp.status) && attempt < opts_.retries) {
            backoff(attempt, &resp);
            continue;
        }
        break;
    }
    if (resp.status == 401 || resp.status == 403) {
        if (creds && for_login) throw Error("logging in to " + host_ + ": invalid username/password");
        if (creds)
            throw Error("authenticating to " + host_ + " with the credentials from " + creds->source +
                        ": invalid username/password (the token server answered " + std::to_string(resp.status) + ")");
        throw Error(host_ + ": authentication required; log in with: skiff login " + host_);
    }
    if (resp.status < 200 || resp.status >= 300)
        throw Error("getting a token for " + host_ + " from " + realm + ": answered " + std::to_string(resp.status) +
                    (resp.body.empty() ? "" : ": " + str::trim(resp.body.substr(0, 200))));
    Json j;
    try {
        j = Json::parse(resp.body);
    } catch (const Json::exception&) {
        throw Error("getting a token for " + host_ + ": the token server's answer is not JSON");
    }
    std::string token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
    if (token.empty()) throw Error("getting a token for " + host_ + ": the answer holds no token");
    long ttl = 60;
    if (j.contains("expires_in") && j["expires_in"].is_number_integer()) ttl = std::max(60L, j["expires_in"].get<long>());
    tokens_[scopes_key(scopes)] = {token, std::chrono::steady_clock::now() + std::chrono::seconds(ttl - 10)};
    return token;
}

std::string Session::authorization(HttpClient& c, const std::vector<std::string>& scopes) {
    ping(c);
    std::lock_guard lk(mu_);
    if (!challenge_) return "";
    if (challenge_->scheme == "basic") {
        auto creds = credentials();
        if (!creds) return "";
        return header_line("Authorization", "Basic " + base64_encode(creds->username + ":" + creds->password));
    }
    auto it = tokens_.find(scopes_key(scopes));
    if (it != tokens_.end() && it->second.expires > std::chrono::steady_clock::now())
        return header_line("Authorization", "Bearer " + it->second.value);
    return header_line("Authorization", "Bearer " + fetch_token(c, scopes, false));
}

bool Session::reauthorize(const HttpResponse& resp, const std::vector<std::string>& scopes) {
    std::lock_guard lk(mu_);
    auto ch = pick_challenge(resp);
    if (!ch) return false;
    bool had = challenge_.has_value();
    challenge_ = ch;
    tokens_.erase(scopes_key(scopes));
    if (ch->scheme == "bearer") return true;
    // Basic: a retry helps only if we have credentials we did not send.
    return !had && credentials().has_value();
}

void Session::verify_login(HttpClient& c) {
    ping(c);
    std::optional<Challenge> ch;
    {
        std::lock_guard lk(mu_);
        ch = challenge_;
    }
    if (!ch) return;  // the registry wants no authentication at all
    if (ch->scheme == "bearer") {
        std::lock_guard lk(mu_);
        fetch_token(c, {}, true);
        return;
    }
    HttpRequest r;
    r.url = base_ + "/v2/";
    r.headers.push_back(authorization(c, {}));
    HttpResponse resp = c.perform(r, tls_);
    if (resp.status == 401 || resp.status == 403) throw Error("logging in to " + host_ + ": invalid username/password");
    if (resp.status < 200 || resp.status >= 300)
        throw Error("logging in to " + host_ + ": GET /v2/ answered " + std::to_string(resp.status));
}

HttpResponse Session::request(HttpClient& c, HttpRequest req, const std::vector<std::string>& scopes) {
    if (!req.url.empty() && req.url[0] == '/') req.url = url(c, req.url);
    bool reauthed = false;
    bool replayable = !req.upload;
    for (int attempt = 0;;) {
        HttpRequest r = req;
        if (auto auth = authorization(c, scopes); !auth.empty()) r.headers.push_back(auth);
        HttpResponse resp;
        try {
            resp = c.perform(r, tls_);
        } catch (const TransportError& e) {
            if (e.transient() && replayable && attempt < opts_.retries) {
                backoff(attempt++, nullptr);
                continue;
            }
            throw;
        }
        if (resp.status == 401 && !reauthed && replayable && reauthorize(resp, scopes)) {
            reauthed = true;
            continue;
        }
        if (retryable_status(resp.status) && replayable && attempt < opts_.retries) {
            backoff(attempt++, &resp);
            continue;
        }
        return resp;
    }
}

std::string registry_error_code(const HttpResponse& r) {
    try {
        Json j = Json::parse(r.body);
        if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty())
            return j["errors"][0].value("code", "");
    } catch (const std::exception&) {
    }
    return "";
}

std::string registry_error_text(const HttpResponse& r) {
    try {
        Json j = Json::parse(r.body);
        if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
            std::vector<std::string> parts;
            for (auto& e : j["errors"]) {
                std::string code = str::lower(e.value("code", ""));
                std::string msg = e.value("message", "");
                for (auto& ch : code)
                    if (ch == '_') ch = ' ';
                parts.push_back(msg.empty() || msg == code ? code : code.empty() ? msg : code + ": " + msg);
            }
            return str::join(parts, "; ");
        }
    } catch (const std::exception&) {
    }
    std::string body = str::trim(r.body.substr(0, 200));
    auto nl = body.find('\n');
    return nl == std::string::npos ? body : body.substr(0, nl);
}

std::string Session::credentials_used() const {
    std::lock_guard lk(mu_);
    return challenge_ && creds_ ? creds_->source : "";
}

void raise_for_status(const Session& s, const HttpResponse& r, const std::string& what) {
    std::string text = registry_error_text(r);
    std::string code = registry_error_code(r);
    std::string detail = text.empty() ? "" : " (" + text + ")";
    switch (r.status) {
    case 401:
        if (auto src = s.credentials_used(); !src.empty())
            throw Error(what + ": the registry refused the credentials from " + src + detail);
        throw Error(what + ": authentication required" + detail + "; log in with: skiff login " + s.host());
    case 403:
        throw Error(what + ": access denied" + detail);
    case 404:
        if (code == "MANIFEST_UNKNOWN" || code == "NAME_UNKNOWN" || code.empty())
            throw NotFound(what + ": image not known" + detail);
        throw NotFound(what + ": not found" + detail);
    case 429:
        throw Error(what + ": too many requests: " + s.host() + " is rate limiting; try again later");
    default:
        throw Error(what + ": " + s.host() + " answered " + std::to_string(r.status) + (text.empty() ? "" : ": " + text));
    }
}

}  // namespace skiff::registry
