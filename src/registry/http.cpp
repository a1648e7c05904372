#include "registry/http.hpp"

#include <curl/curl.h>

#include <cstring>
#include <exception>
#include <mutex>

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::registry {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
struct MultiDeleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

Easy new_easy() {
    global_init();
    Easy h(curl_easy_init());
    if (!h) throw Error("libcurl: cannot create a handle");
    return h;
}

// curl's options store pointers to these: they live as long as the transfer.
struct Transfer {
    HttpResponse resp;
    bool follow = false;
    bool final_headers = false;  // the final response's header block has ended
    size_t max_body = 0;
    // 2xx body, when streaming; false: "hold it, I am full" (the transfer
    // pauses and the same bytes come again once resumed).
    std::function<bool(const char*, size_t)> sink;
    const layers::ReadFn* upload = nullptr;
    std::exception_ptr error;  // thrown inside a callback
    char errbuf[CURL_ERROR_SIZE] = {};
    Slist headers;
};

size_t on_header(char* data, size_t size, size_t n, void* p) {
    auto* t = static_cast<Transfer*>(p);
    size_t len = size * n;
    std::string_view line(data, len);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.rfind("HTTP/", 0) == 0) {
        // Every response (redirects, 100 Continue) starts afresh.
        t->resp.headers.clear();
        t->final_headers = false;
        auto sp = line.find(' ');
        t->resp.status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    } else if (line.empty()) {
        long s = t->resp.status;
        bool redirect = t->follow && s >= 300 && s < 400 && !t->resp.header("location").empty();
        if (s >= 200 && !redirect) t->final_headers = true;
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        t->resp.headers.emplace_back(str::lower(str::trim(line.substr(0, colon))), str::trim(line.substr(colon + 1)));
    }
    return len;
}

size_t on_body(char* data, size_t size, size_t n, void* p) {
    auto* t = static_cast<Transfer*>(p);
    size_t len = size * n;
    long s = t->resp.status;
    if (t->sink && s >= 200 && s < 300) {
        try {
            if (!t->sink(data, len)) return CURL_WRITEFUNC_PAUSE;
        } catch (...) {
            t->error = std::current_exception();
            return 0;  // anything but len aborts the transfer
        }
        return len;
    }
    if (t->resp.body.size() + len > t->max_body) {
        t->error = std::make_exception_ptr(
            Error("response from " + t->resp.url + " is larger than " + std::to_string(t->max_body) + " bytes"));
        return 0;
    }
    t->resp.body.append(data, len);
    return len;
}

size_t on_upload(char* buf, size_t size, size_t n, void* p) {
    auto* t = static_cast<Transfer*>(p);
    try {
        return (*t->upload)(buf, size * n);
    } catch (...) {
        t->error = std::current_exception();
        return CURL_READFUNC_ABORT;
    }
}

// The system bundle and the extra CAs in one PEM blob: curl's CAINFO_BLOB
// replaces its default bundle rather than adding to it.
const std::string& system_ca_bundle() {
    static const std::string bundle = [] {
        for (const char* p : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                              "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"})
            if (auto text = fs::read_file_if_exists(p)) return *text;
        return std::string();
    }();
    return bundle;
}

void check(CURLcode rc) {
    if (rc != CURLE_OK) throw Error(std::string("libcurl: ") + curl_easy_strerror(rc));
}

void setup(CURL* h, const HttpRequest& r, const TlsConfig& tls, Transfer& t) {
    curl_easy_reset(h);  // keeps the live connections
    t.follow = r.follow_redirects;
    t.max_body = r.max_body;
    t.resp.url = r.url;
    check(curl_easy_setopt(h, CURLOPT_URL, r.url.c_str()));
    check(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(h, CURLOPT_USERAGENT, "skiff/" SKIFF_VERSION));
    check(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));  // threads: no SIGALRM for DNS timeouts
    check(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t.errbuf));
    check(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L));
    check(curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L));
    check(curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, r.stall_seconds));
    check(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L));
    check(curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10));
    check(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header));
    check(curl_easy_setopt(h, CURLOPT_HEADERDATA, &t));
    check(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body));
    check(curl_easy_setopt(h, CURLOPT_WRITEDATA, &t));
    if (r.follow_redirects) {
        // A custom Authorization header is not sent to another host (curl
        // ≥ 7.58): blob storage behind a redirect gets a signed URL only.
        check(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L));
        check(curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L));
    }

    auto add = [&](const std::string& line) {
        // curl_slist_append returns the list's head: the first call makes it.
        curl_slist* head = curl_slist_append(t.headers.get(), line.c_str());
        if (!head) throw Error("libcurl: out of memory");
        if (!t.headers) t.headers.reset(head);
    };
    for (auto& hline : r.headers) add(hline);
    add("Expect:");  // no 100-continue round trip before uploads

    if (r.head) {
        check(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
    } else if (r.upload) {
        t.upload = &r.upload;
        check(curl_easy_setopt(h, CURLOPT_UPLOAD, 1L));
        check(curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload));
        check(curl_easy_setopt(h, CURLOPT_READDATA, &t));
        if (r.upload_size >= 0)
            check(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.upload_size)));
        else
            add("Transfer-Encoding: chunked");
        if (r.method != "PUT") check(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str()));
    } else if (r.method == "PUT" || r.method == "POST" || r.method == "PATCH") {
        check(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size())));
        check(curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.data()));
        if (r.method != "POST") check(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str()));
    } else if (r.method != "GET") {
        check(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str()));
    }
    check(curl_easy_setopt(h, CURLOPT_HTTPHEADER, t.headers.get()));

    check(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L));
    check(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L));
    if (tls.verify && !tls.extra_ca_pem.empty()) {
        std::string pem = system_ca_bundle() + "\n" + tls.extra_ca_pem;
        curl_blob blob{pem.data(), pem.size(), CURL_BLOB_COPY};
        check(curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob));
    }
    if (!tls.client_cert.empty()) {
        check(curl_easy_setopt(h, CURLOPT_SSLCERT, tls.client_cert.c_str()));
        check(curl_easy_setopt(h, CURLOPT_SSLKEY, tls.client_key.c_str()));
    }
}

bool transient_code(CURLcode rc) {
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

std::string host_of(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    auto end = url.find('/', start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// One line that says what failed and where, in words a user can act on.
[[noreturn]] void fail(CURLcode rc, const Transfer& t, const std::string& url) {
    if (t.error) std::rethrow_exception(t.error);
    std::string host = host_of(url);
    std::string detail = t.errbuf[0] ? t.errbuf : curl_easy_strerror(rc);
    std::string msg;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        msg = "cannot resolve host " + host + ": no such host";
        break;
    case CURLE_COULDNT_CONNECT:
        msg = "cannot connect to " + host + ": " + detail;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        msg = "TLS certificate of " + host + " is not trusted (" + detail +
              "); add its CA to certs.d or use --tls-verify=false";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        msg = "timed out talking to " + host + ": " + detail;
        break;
    case CURLE_PARTIAL_FILE:
        msg = "download from " + host + " cut short: " + detail;
        break;
    default:
        if (detail.find("alert bad certificate") != std::string::npos ||
            detail.find("certificate required") != std::string::npos)
            msg = host + " refused the TLS connection: it wants a client certificate (a *.cert and *.key in its "
                         "certs.d directory)";
        else
            msg = "talking to " + host + ": " + detail;
    }
    throw TransportError(msg, rc, transient_code(rc));
}

}  // namespace

bool TransportError::tls() const {
    return curl_code_ == CURLE_SSL_CONNECT_ERROR || curl_code_ == CURLE_PEER_FAILED_VERIFICATION ||
           curl_code_ == CURLE_SSL_CERTPROBLEM || curl_code_ == CURLE_SSL_CIPHER ||
           curl_code_ == CURLE_SSL_CACERT_BADFILE;
}

std::string HttpResponse::header(std::string_view name) const {
    for (auto& [k, v] : headers)
        if (k == name) return v;
    return "";
}

std::vector<std::string> HttpResponse::headers_named(std::string_view name) const {
    std::vector<std::string> out;
    for (auto& [k, v] : headers)
        if (k == name) out.push_back(v);
    return out;
}

std::string header_line(std::string_view name, std::string_view value) {
    std::string line(name);
    line += ": ";
    for (char c : value)
        if (c != '\r' && c != '\n') line += c;
    return line;
}

std::string url_escape(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// ---------------------------------------------------------------------------

struct HttpClient::Impl {
    Easy easy = new_easy();
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::perform(const HttpRequest& req, const TlsConfig& tls) {
    Transfer t;
    setup(impl_->easy.get(), req, tls, t);
    CURLcode rc = curl_easy_perform(impl_->easy.get());
    if (t.error) std::rethrow_exception(t.error);
    if (rc != CURLE_OK) fail(rc, t, req.url);
    char* eff = nullptr;
    if (curl_easy_getinfo(impl_->easy.get(), CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) t.resp.url = eff;
    return std::move(t.resp);
}

// ---------------------------------------------------------------------------

struct HttpStream::Impl {
    Easy easy = new_easy();
    Multi multi;
    Transfer t;
    std::string url;
    std::string pending;  // received, not yet read
    size_t pending_pos = 0;
    bool added = false, done = false, paused = false;
    CURLcode result = CURLE_OK;
    // A fast local registry can outrun the consumer: past this, the transfer
    // pauses instead of buffering without bound.
    static constexpr size_t kMaxPending = 4 << 20;

    ~Impl() {
        if (added) curl_multi_remove_handle(multi.get(), easy.get());
    }

    // One round of the transfer: moves bytes, then waits for the socket
    // unless there is something to hand out (or, for start(), the headers).
    void step(bool headers_suffice) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(multi.get(), &running);
        if (mc != CURLM_OK) throw Error(std::string("libcurl: ") + curl_multi_strerror(mc));
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi.get(), &left))
            if (m->msg == CURLMSG_DONE) {
                done = true;
                result = m->data.result;
            }
        if (done || running == 0) {
            done = true;
            return;
        }
        if (pending_pos < pending.size() || (headers_suffice && t.final_headers)) return;
        mc = curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
        if (mc != CURLM_OK) throw Error(std::string("libcurl: ") + curl_multi_strerror(mc));
    }

    void finish_check() {
        if (t.error) std::rethrow_exception(t.error);
        if (result != CURLE_OK) fail(result, t, url);
    }
};

HttpStream::HttpStream(const HttpRequest& req, const TlsConfig& tls) : impl_(std::make_unique<Impl>()) {
    // curl keeps pointers into a request body; a stream outlives its request.
    if (req.upload || !req.body.empty()) throw Error("HttpStream: only bodiless requests can be streamed");
    impl_->multi.reset(curl_multi_init());
    if (!impl_->multi) throw Error("libcurl: cannot create a multi handle");
    impl_->url = req.url;
    auto* self = impl_.get();
    impl_->t.sink = [self](const char* data, size_t len) {
        if (self->pending_pos == self->pending.size()) {
            self->pending.clear();
            self->pending_pos = 0;
        }
        if (self->pending.size() - self->pending_pos >= Impl::kMaxPending) {
            self->paused = true;
            return false;
        }
        self->pending.append(data, len);
        return true;
    };
    setup(impl_->easy.get(), req, tls, impl_->t);
    if (curl_multi_add_handle(impl_->multi.get(), impl_->easy.get()) != CURLM_OK)
        throw Error("libcurl: cannot start a transfer");
    impl_->added = true;
}

HttpStream::~HttpStream() = default;

const HttpResponse& HttpStream::start() {
    auto& s = *impl_;
    while (!s.done && !s.t.final_headers) s.step(true);
    long st = s.t.resp.status;
    if (s.done && (s.t.error || s.result != CURLE_OK || st == 0)) s.finish_check();
    if (st < 200 || st >= 300)
        while (!s.done) s.step(false);  // the error body, for its message
    char* eff = nullptr;
    if (curl_easy_getinfo(s.easy.get(), CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) s.t.resp.url = eff;
    return s.t.resp;
}

size_t HttpStream::read(char* buf, size_t len) {
    auto& s = *impl_;
    while (s.pending_pos == s.pending.size()) {
        if (s.done) {
            s.finish_check();
            return 0;
        }
        if (s.paused) {
            s.paused = false;
            // May call the sink at once with the held bytes.
            if (curl_easy_pause(s.easy.get(), CURLPAUSE_CONT) != CURLE_OK) throw Error("libcurl: cannot resume a transfer");
            if (s.pending_pos < s.pending.size()) break;
        }
        s.step(false);
    }
    size_t n = std::min(len, s.pending.size() - s.pending_pos);
    std::memcpy(buf, s.pending.data() + s.pending_pos, n);
    s.pending_pos += n;
    return n;
}

}  // namespace skiff::registry
