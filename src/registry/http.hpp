// HTTP over libcurl, the only place that touches CURL handles. Two shapes:
// HttpClient::perform() for whole requests (manifests, uploads, tokens) and
// HttpStream for downloads that a consumer pulls from at its own pace (a
// layer streaming into the unpacker), so no thread or buffer sits between
// the socket and the inflater.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "layers/compress.hpp"
#include "util/error.hpp"

namespace skiff::registry {

// How to talk TLS to one host.
struct TlsConfig {
    bool verify = true;
    std::string extra_ca_pem;  // certs.d CAs, trusted besides the system's
    std::string client_cert;   // PEM file paths (certs.d *.cert / *.key)
    std::string client_key;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;                  // sent for PUT/POST/PATCH unless `upload` is set
    layers::ReadFn upload;             // streamed request body
    int64_t upload_size = -1;          // < 0: chunked transfer encoding
    bool follow_redirects = false;
    bool head = false;                 // HEAD: no body expected
    size_t max_body = 4 << 20;         // a longer response body is an error
    // Transfers slower than 1 byte/s for this long are abandoned.
    long stall_seconds = 60;
};

struct HttpResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, last response only
    std::string body;
    std::string url;  // after redirects

    // First value of a header, "" when absent.
    std::string header(std::string_view name) const;
    std::vector<std::string> headers_named(std::string_view name) const;
};

// No HTTP response at all: DNS failure, refused connection, TLS, reset.
class TransportError : public Error {
public:
    TransportError(const std::string& message, int curl_code, bool transient)
        : Error(message), curl_code_(curl_code), transient_(transient) {}
    int curl_code() const { return curl_code_; }
    // Worth retrying (reset, timeout, truncated) as opposed to a refusal.
    bool transient() const { return transient_; }
    bool tls() const;  // a TLS handshake or certificate problem

private:
    int curl_code_;
    bool transient_;
};

// One per thread: requests made through one client reuse its connections.
class HttpClient {
public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse perform(const HttpRequest& req, const TlsConfig& tls);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A GET whose body is read on demand. The transfer only advances inside
// start() and read(), on the caller's thread.
class HttpStream {
public:
    HttpStream(const HttpRequest& req, const TlsConfig& tls);
    ~HttpStream();
    HttpStream(const HttpStream&) = delete;
    HttpStream& operator=(const HttpStream&) = delete;

    // Runs until the final response's headers are in. For a status other
    // than 2xx the (small) body is read whole into the response.
    const HttpResponse& start();
    // Body bytes of a 2xx response; 0 at the clean end. A broken transfer
    // throws TransportError (transient) after the bytes that did arrive.
    size_t read(char* buf, size_t len);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "Name: value" with CR/LF stripped from the value (no header injection).
std::string header_line(std::string_view name, std::string_view value);
// Percent-encodes a query value.
std::string url_escape(std::string_view s);

}  // namespace skiff::registry
