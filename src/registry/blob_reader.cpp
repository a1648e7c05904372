#include "registry/blob_reader.hpp"

#include <algorithm>
#include <cstring>

#include "util/error.hpp"
#include "util/sha256.hpp"

namespace skiff::registry {

namespace {

bool retryable_status(long s) { return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504; }

}  // namespace

BlobReader::BlobReader(Repository& repo, Descriptor d, std::function<void(uint64_t)> on_bytes,
                       const std::atomic<bool>* cancel)
    : repo_(repo), d_(std::move(d)), on_bytes_(std::move(on_bytes)), cancel_(cancel) {}

BlobReader::~BlobReader() = default;

void BlobReader::open() {
    Session& s = repo_.session();
    bool reauthed = false;
    for (;;) {
        HttpRequest r;
        r.url = s.url(client_, "/v2/" + repo_.path() + "/blobs/" + d_.digest);
        r.follow_redirects = true;
        r.max_body = 64 << 10;  // of an error answer
        if (auto auth = s.authorization(client_, repo_.pull_scopes()); !auth.empty()) r.headers.push_back(auth);
        if (offset_ > 0) r.headers.push_back("Range: bytes=" + std::to_string(offset_) + "-");
        auto stream = std::make_unique<HttpStream>(r, s.tls());
        const HttpResponse* resp = nullptr;
        try {
            resp = &stream->start();
        } catch (const TransportError& e) {
            if (!e.transient() || attempts_ >= s.retries()) throw;
            s.backoff(attempts_++, nullptr);
            continue;
        }
        long st = resp->status;
        if (st == 200 || st == 206) {
            // 200 to a Range request: the server starts over; drop what we have.
            skip_ = st == 200 ? offset_ : 0;
            if (st == 206 && resp->header("content-range").rfind("bytes " + std::to_string(offset_) + "-", 0) != 0)
                throw Error("fetching blob " + d_.digest + ": the registry resumed at the wrong offset");
            stream_ = std::move(stream);
            return;
        }
        if (st == 401 && !reauthed && s.reauthorize(*resp, repo_.pull_scopes())) {
            reauthed = true;
            continue;
        }
        if (retryable_status(st) && attempts_ < s.retries()) {
            s.backoff(attempts_++, resp);
            continue;
        }
        raise_for_status(s, *resp, "fetching blob " + d_.digest + " of " + repo_.name());
    }
}

size_t BlobReader::read(char* buf, size_t len) {
    try {
        return read_some(buf, len);
    } catch (const std::exception& e) {
        failure_ = e.what();
        throw;
    }
}

size_t BlobReader::read_some(char* buf, size_t len) {
    for (;;) {
        if (cancel_ && cancel_->load()) throw Error("cancelled");
        try {
            if (!stream_) open();
            size_t n = stream_->read(buf, len);
            if (n > 0 && skip_ > 0) {
                size_t drop = static_cast<size_t>(std::min<uint64_t>(skip_, n));
                skip_ -= drop;
                if (drop == n) continue;
                std::memmove(buf, buf + drop, n - drop);
                n -= drop;
            }
            if (n == 0) {
                if (d_.size >= 0 && offset_ < static_cast<uint64_t>(d_.size))
                    throw TransportError("blob " + d_.digest + " is truncated: got " + std::to_string(offset_) + " of " +
                                             std::to_string(d_.size) + " bytes",
                                         0, true);
                return 0;
            }
            offset_ += n;
            if (d_.size >= 0 && offset_ > static_cast<uint64_t>(d_.size))
                throw Error("blob " + d_.digest + " is larger than the " + std::to_string(d_.size) +
                            " bytes its descriptor declares");
            if (on_bytes_) on_bytes_(n);
            return n;
        } catch (const TransportError& e) {
            if (!e.transient() || attempts_ >= repo_.session().retries())
                throw Error("fetching blob " + d_.digest + ": " + e.what() +
                            (attempts_ > 0 ? " (after " + std::to_string(attempts_) + " retries)" : ""));
            stream_.reset();
            repo_.session().backoff(attempts_++, nullptr);
        }
    }
}

std::string fetch_digest(Repository& repo, const Descriptor& d) {
    BlobReader r(repo, d, nullptr);
    Sha256 h;
    std::unique_ptr<char[]> buf(new char[1 << 20]);
    while (size_t n = r.read(buf.get(), 1 << 20)) h.update(buf.get(), n);
    return "sha256:" + h.hex();
}

}  // namespace skiff::registry
