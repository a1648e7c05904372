#include "registry/repository.hpp"

#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace skiff::registry {

namespace {

bool ok(long s) { return s >= 200 && s < 300; }

bool is_digest(const std::string& ref) { return ref.rfind("sha256:", 0) == 0; }

std::string with_query(const std::string& url, const std::string& q) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + q;
}

}  // namespace

std::string next_link(const std::string& link) {
    // </v2/_catalog?last=x&n=100>; rel="next"
    auto lt = link.find('<');
    auto gt = link.find('>', lt == std::string::npos ? 0 : lt);
    if (lt == std::string::npos || gt == std::string::npos) return "";
    if (link.find("next", gt) == std::string::npos) return "";
    std::string target = link.substr(lt + 1, gt - lt - 1);
    // An absolute URL is cut to its path: it must be the same registry.
    if (auto scheme = target.find("://"); scheme != std::string::npos) {
        auto slash = target.find('/', scheme + 3);
        target = slash == std::string::npos ? "/" : target.substr(slash);
    }
    return target;
}

FetchedManifest Repository::get_manifest(HttpClient& c, const std::string& ref) {
    HttpRequest r;
    r.url = "/v2/" + path_ + "/manifests/" + ref;
    r.headers.push_back("Accept: " + manifest_accept());
    r.max_body = 4 << 20;
    HttpResponse resp = session_.request(c, r, pull_scopes());
    if (!ok(resp.status)) raise_for_status(session_, resp, name() + ":" + ref);
    FetchedManifest m;
    m.raw = std::move(resp.body);
    m.content_type = resp.header("content-type");
    m.digest = Sha256::digest_of(m.raw);
    if (is_digest(ref) && m.digest != ref)
        throw Error("manifest " + ref + " of " + name() + " does not match its digest (got " + m.digest + ")");
    try {
        m.doc = Json::parse(m.raw);
    } catch (const Json::exception& e) {
        throw Error("manifest " + ref + " of " + name() + " is not valid JSON: " + e.what());
    }
    return m;
}

std::string Repository::manifest_digest(HttpClient& c, const std::string& ref) {
    HttpRequest r;
    r.method = "HEAD";
    r.head = true;
    r.url = "/v2/" + path_ + "/manifests/" + ref;
    r.headers.push_back("Accept: " + manifest_accept());
    HttpResponse resp = session_.request(c, r, pull_scopes());
    if (!ok(resp.status)) raise_for_status(session_, resp, name() + ":" + ref);
    std::string d = resp.header("docker-content-digest");
    if (d.empty()) return get_manifest(c, ref).digest;  // some registries omit it on HEAD
    return d;
}

std::string Repository::get_blob(HttpClient& c, const Descriptor& d, size_t max_size) {
    if (d.size > static_cast<int64_t>(max_size))
        throw Error("blob " + d.digest + " is too large (" + std::to_string(d.size) + " bytes)");
    HttpRequest r;
    r.url = "/v2/" + path_ + "/blobs/" + d.digest;
    r.follow_redirects = true;
    r.max_body = max_size;
    HttpResponse resp = session_.request(c, r, pull_scopes());
    if (!ok(resp.status)) raise_for_status(session_, resp, "fetching blob " + d.digest + " of " + name());
    if (d.size >= 0 && static_cast<int64_t>(resp.body.size()) != d.size)
        throw Error("blob " + d.digest + " of " + name() + " has " + std::to_string(resp.body.size()) +
                    " bytes, its descriptor says " + std::to_string(d.size));
    if (Sha256::digest_of(resp.body) != d.digest)
        throw Error("blob " + d.digest + " of " + name() + " does not match its digest");
    return std::move(resp.body);
}

bool Repository::blob_exists(HttpClient& c, const std::string& digest, int64_t* size) {
    HttpRequest r;
    r.method = "HEAD";
    r.head = true;
    r.url = "/v2/" + path_ + "/blobs/" + digest;
    r.follow_redirects = true;
    HttpResponse resp = session_.request(c, r, push_scopes());
    if (resp.status == 404) return false;
    if (!ok(resp.status)) raise_for_status(session_, resp, "checking blob " + digest + " in " + name());
    if (size) {
        std::string len = resp.header("content-length");
        *size = len.empty() ? -1 : std::stoll(len);
    }
    return true;
}

std::vector<std::string> Repository::tags(HttpClient& c) {
    std::vector<std::string> out;
    std::string path = "/v2/" + path_ + "/tags/list?n=1000";
    for (int page = 0; !path.empty() && page < 1000; ++page) {
        HttpRequest r;
        r.url = path;
        r.max_body = 16 << 20;
        HttpResponse resp = session_.request(c, r, pull_scopes());
        if (!ok(resp.status)) raise_for_status(session_, resp, "listing tags of " + name());
        try {
            Json j = Json::parse(resp.body);
            if (j.contains("tags") && j["tags"].is_array())
                for (auto& t : j["tags"])
                    if (t.is_string()) out.push_back(t.get<std::string>());
        } catch (const Json::exception&) {
            throw Error("listing tags of " + name() + ": the answer is not JSON");
        }
        path = next_link(resp.header("link"));
    }
    return out;
}

std::string Repository::absolute(HttpClient& c, const std::string& location) {
    if (location.empty()) throw Error(name() + ": the registry gave no upload location");
    if (location.find("://") != std::string::npos) return location;
    return session_.url(c, location[0] == '/' ? location : "/" + location);
}

std::string Repository::start_upload(HttpClient& c, const std::string& digest, const std::string& mount_from) {
    HttpRequest r;
    r.method = "POST";
    r.url = "/v2/" + path_ + "/blobs/uploads/";
    auto scopes = push_scopes();
    if (!mount_from.empty()) {
        r.url += "?mount=" + url_escape(digest) + "&from=" + url_escape(mount_from);
        scopes.push_back("repository:" + mount_from + ":pull");
    }
    HttpResponse resp = session_.request(c, r, scopes);
    if (!mount_from.empty() && resp.status == 201) return "";
    if (resp.status != 202) raise_for_status(session_, resp, "starting an upload to " + name());
    return absolute(c, resp.header("location"));
}

void Repository::upload_whole(HttpClient& c, const std::string& location, const std::string& digest,
                              const layers::ReadFn& src, int64_t size) {
    HttpRequest r;
    r.method = "PUT";
    r.url = with_query(location, "digest=" + url_escape(digest));
    r.headers.push_back("Content-Type: application/octet-stream");
    r.upload = src;
    r.upload_size = size;
    HttpResponse resp = session_.request(c, r, push_scopes());
    if (resp.status != 201 && !ok(resp.status)) raise_for_status(session_, resp, "uploading blob " + digest + " to " + name());
}

void Repository::upload_chunks(HttpClient& c, const std::string& location, const layers::ReadFn& src, int64_t chunk,
                               const std::function<std::string()>& digest) {
    std::string loc = location;
    uint64_t offset = 0;
    bool eof = false;
    while (!eof) {
        HttpRequest r;
        r.method = "PATCH";
        r.url = loc;
        r.headers.push_back("Content-Type: application/octet-stream");
        if (chunk > 0) {
            // Read the chunk first: Content-Range must state its exact size.
            std::string buf(static_cast<size_t>(chunk), '\0');
            size_t got = 0;
            while (got < buf.size()) {
                size_t n = src(buf.data() + got, buf.size() - got);
                if (n == 0) {
                    eof = true;
                    break;
                }
                got += n;
            }
            if (got == 0) break;
            buf.resize(got);
            r.headers.push_back("Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + got - 1));
            r.body = std::move(buf);
            offset += got;
        } else {
            r.upload = src;
            eof = true;
        }
        HttpResponse resp = session_.request(c, r, push_scopes());
        if (resp.status != 202) raise_for_status(session_, resp, "uploading to " + name());
        loc = absolute(c, resp.header("location"));
    }
    HttpRequest put;
    put.method = "PUT";
    std::string d = digest();
    put.url = with_query(loc, "digest=" + url_escape(d));
    HttpResponse resp = session_.request(c, put, push_scopes());
    if (resp.status != 201 && !ok(resp.status)) raise_for_status(session_, resp, "finishing the upload of " + d + " to " + name());
}

std::string Repository::put_manifest(HttpClient& c, const std::string& ref, const std::string& media_type,
                                     const std::string& raw) {
    HttpRequest r;
    r.method = "PUT";
    r.url = "/v2/" + path_ + "/manifests/" + ref;
    r.headers.push_back(header_line("Content-Type", media_type));
    r.body = raw;
    HttpResponse resp = session_.request(c, r, push_scopes());
    if (!ok(resp.status)) raise_for_status(session_, resp, "writing manifest " + ref + " to " + name());
    std::string digest = Sha256::digest_of(raw);
    std::string said = resp.header("docker-content-digest");
    if (!said.empty() && said != digest)
        throw Error("writing manifest to " + name() + ": the registry stored digest " + said + ", expected " + digest);
    return digest;
}

std::vector<std::string> catalog(Session& s, HttpClient& c, size_t limit) {
    std::vector<std::string> out;
    std::string path = "/v2/_catalog?n=1000";
    for (int page = 0; !path.empty() && page < 1000; ++page) {
        HttpRequest r;
        r.url = path;
        r.max_body = 16 << 20;
        HttpResponse resp = s.request(c, r, {"registry:catalog:*"});
        if (resp.status == 404 || resp.status == 405)
            throw Error(s.host() + " does not offer a repository catalog (GET /v2/_catalog answered " +
                        std::to_string(resp.status) + ")");
        if (!ok(resp.status)) raise_for_status(s, resp, "listing the repositories of " + s.host());
        try {
            Json j = Json::parse(resp.body);
            if (j.contains("repositories") && j["repositories"].is_array())
                for (auto& t : j["repositories"])
                    if (t.is_string()) out.push_back(t.get<std::string>());
        } catch (const Json::exception&) {
            throw Error("listing the repositories of " + s.host() + ": the answer is not JSON");
        }
        if (limit && out.size() >= limit) break;
        path = next_link(resp.header("link"));
    }
    return out;
}

}  // namespace skiff::registry
