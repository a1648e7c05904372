// The distribution API calls on one repository of a registry.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers/compress.hpp"
#include "registry/manifest.hpp"
#include "registry/session.hpp"
#include "util/json.hpp"

namespace skiff::registry {

struct FetchedManifest {
    std::string raw;  // exact bytes: their digest is the manifest's identity
    std::string content_type;
    std::string digest;
    Json doc;
};

class Repository {
public:
    Repository(Session& s, std::string path) : session_(s), path_(std::move(path)) {}

    Session& session() { return session_; }
    const std::string& path() const { return path_; }
    std::string name() const { return session_.host() + "/" + path_; }
    std::vector<std::string> pull_scopes() const { return {"repository:" + path_ + ":pull"}; }
    std::vector<std::string> push_scopes() const { return {"repository:" + path_ + ":pull,push"}; }

    // GET a manifest by tag or digest; a digest is verified against the bytes.
    FetchedManifest get_manifest(HttpClient& c, const std::string& ref);
    // HEAD: the digest the registry has for `ref` now, without the body.
    std::string manifest_digest(HttpClient& c, const std::string& ref);
    // A small blob (a config), read whole and verified.
    std::string get_blob(HttpClient& c, const Descriptor& d, size_t max_size);
    // HEAD a blob: true (and its size) when the registry has it.
    bool blob_exists(HttpClient& c, const std::string& digest, int64_t* size = nullptr);
    // Every tag, following pagination.
    std::vector<std::string> tags(HttpClient& c);

    // Starts an upload; with `mount_from` it first asks the registry to
    // mount the blob from that repository of the same registry. Returns
    // the upload URL, or "" when the mount made the blob present.
    std::string start_upload(HttpClient& c, const std::string& digest = "", const std::string& mount_from = "");
    // One PUT with the whole blob.
    void upload_whole(HttpClient& c, const std::string& location, const std::string& digest, const layers::ReadFn& src,
                      int64_t size);
    // PATCHes of at most `chunk` bytes each (`chunk` ≤ 0: one streamed
    // PATCH of unknown length), then the closing PUT. `digest` is asked
    // for only at the end, so the bytes may be produced on the way.
    void upload_chunks(HttpClient& c, const std::string& location, const layers::ReadFn& src, int64_t chunk,
                       const std::function<std::string()>& digest);
    // PUT a manifest under a tag or its digest; returns its digest.
    std::string put_manifest(HttpClient& c, const std::string& ref, const std::string& media_type,
                             const std::string& raw);

private:
    std::string absolute(HttpClient& c, const std::string& location);
    Session& session_;
    std::string path_;
};

// The registry's repository list (GET /v2/_catalog), up to `limit` names
// (0: all).
std::vector<std::string> catalog(Session& s, HttpClient& c, size_t limit);

// The next-page URL path from a Link header (RFC 5988 rel="next"), or "".
std::string next_link(const std::string& link_header);

}  // namespace skiff::registry
