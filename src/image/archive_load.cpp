// Loading docker-archive, oci-archive and OCI layout directories.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "image/archive.hpp"
#include "image/layer_import.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace skiff::image {

namespace {

// JSON and other small members are kept in memory; anything larger that is
// not a layer is refused rather than buffered.
constexpr size_t kMaxSmallMember = 64 << 20;
constexpr size_t kPeek = 512;

struct ArchiveDeleter {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveDeleter>;

struct Source {
    const layers::ReadFn* read;
    std::unique_ptr<char[]> buf{new char[1 << 20]};
};

la_ssize_t read_cb(struct archive*, void* data, const void** out) {
    auto* s = static_cast<Source*>(data);
    try {
        size_t n = (*s->read)(s->buf.get(), 1 << 20);
        *out = s->buf.get();
        return static_cast<la_ssize_t>(n);
    } catch (const std::exception&) {
        return -1;
    }
}

std::string clean_name(std::string name) {
    while (name.rfind("./", 0) == 0) name = name.substr(2);
    while (!name.empty() && name.back() == '/') name.pop_back();
    return name;
}

// A path inside the archive, relative to `from`'s directory.
std::string resolve_link(const std::string& from, const std::string& target) {
    if (!target.empty() && target[0] == '/') return clean_name(target.substr(1));
    std::vector<std::string> parts;
    auto dir = from.find('/') == std::string::npos ? std::string() : fs::dirname(from);
    for (auto& p : str::split(dir.empty() ? target : dir + "/" + target, '/')) {
        if (p.empty() || p == ".") continue;
        if (p == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(p);
    }
    return str::join(parts, "/");
}

bool looks_like_layer(std::string_view head) {
    if (layers::detect_compression(head) != layers::Compression::None) return true;
    return head.size() >= 262 && head.substr(257, 5) == "ustar";
}

Json parse_json(const std::string& text, const std::string& what) {
    try {
        return Json::parse(text);
    } catch (const std::exception& e) {
        throw Error("archive: " + what + " is not valid JSON: " + e.what());
    }
}

// What one pass over an archive (or a layout dir) collected.
class Collected {
public:
    explicit Collected(Store& store) : store_(store) {}
    ~Collected() {
        for (auto& [name, u] : layers_)
            if (u) discard(*u);
    }
    Collected(const Collected&) = delete;
    Collected& operator=(const Collected&) = delete;

    std::map<std::string, std::string> small;
    std::map<std::string, std::string> links;

    void add_layer(const std::string& name, UnpackedLayer u) { layers_[name] = std::move(u); }

    std::string follow(std::string name) const {
        for (int i = 0; i < 16; ++i) {
            auto it = links.find(name);
            if (it == links.end()) return name;
            name = it->second;
        }
        throw Error("archive: too many levels of links at " + name);
    }

    const std::string& small_file(const std::string& name, const std::string& what) const {
        auto it = small.find(follow(name));
        if (it == small.end()) throw Error("archive: " + what + " \"" + name + "\" is missing");
        return it->second;
    }

    // Takes the unpacked layer at `name` unless an earlier image took it.
    std::optional<UnpackedLayer> take_layer(const std::string& name, bool& known) {
        auto it = layers_.find(follow(name));
        known = it != layers_.end();
        if (!known || !it->second) return std::nullopt;
        auto u = std::move(*it->second);
        it->second.reset();
        return u;
    }
    const UnpackedLayer* peek_layer(const std::string& name) const {
        auto it = layers_.find(follow(name));
        return it == layers_.end() || !it->second ? nullptr : &*it->second;
    }

    Store& store() { return store_; }

private:
    Store& store_;
    std::map<std::string, std::optional<UnpackedLayer>> layers_;
    std::map<std::string, std::string> done_chain_;
};

void collect_member(Collected& c, struct archive* a, const std::string& name, int64_t size) {
    std::string head;
    head.resize(kPeek);
    la_ssize_t got = 0;
    while (static_cast<size_t>(got) < kPeek) {
        la_ssize_t n = archive_read_data(a, head.data() + got, kPeek - static_cast<size_t>(got));
        if (n < 0) throw Error(std::string("archive: reading ") + name + ": " + archive_error_string(a));
        if (n == 0) break;
        got += n;
    }
    head.resize(static_cast<size_t>(got));
    if (looks_like_layer(head)) {
        size_t head_pos = 0;
        layers::ReadFn member = [&](char* buf, size_t len) -> size_t {
            if (head_pos < head.size()) {
                size_t n = std::min(len, head.size() - head_pos);
                std::memcpy(buf, head.data() + head_pos, n);
                head_pos += n;
                return n;
            }
            la_ssize_t n = archive_read_data(a, buf, len);
            if (n < 0) throw Error(std::string("archive: reading ") + name + ": " + archive_error_string(a));
            return static_cast<size_t>(n);
        };
        c.add_layer(name, unpack_layer(c.store(), member));
        return;
    }
    if (size > static_cast<int64_t>(kMaxSmallMember))
        throw Error("archive: member " + name + " is neither a layer nor a small metadata file");
    std::string data = head;
    char buf[65536];
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0) throw Error(std::string("archive: reading ") + name + ": " + archive_error_string(a));
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    c.small[name] = std::move(data);
}

void collect_archive(Collected& c, const layers::ReadFn& src) {
    ArchivePtr a(archive_read_new());
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_filter_none(a.get());
    archive_read_support_format_tar(a.get());
    Source s{&src};
    if (archive_read_open(a.get(), &s, nullptr, read_cb, nullptr) != ARCHIVE_OK)
        throw Error(std::string("archive: ") + archive_error_string(a.get()));
    struct archive_entry* e;
    for (;;) {
        int rc = archive_read_next_header(a.get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) throw Error(std::string("archive: ") + archive_error_string(a.get()));
        std::string name = clean_name(archive_entry_pathname(e));
        if (name.empty()) continue;
        if (const char* hl = archive_entry_hardlink(e)) {
            c.links[name] = clean_name(hl);
            continue;
        }
        switch (archive_entry_filetype(e)) {
        case AE_IFREG:
            collect_member(c, a.get(), name, archive_entry_size(e));
            break;
        case AE_IFLNK:
            c.links[name] = resolve_link(name, archive_entry_symlink(e));
            break;
        default:
            break;  // directories and the like carry nothing we need
        }
    }
}

std::vector<std::string> normalized_names(const std::vector<std::string>& tags) {
    std::vector<std::string> out;
    for (auto& t : tags) out.push_back(parse_reference(t).full());
    return out;
}

Image commit(Collected& c, const std::string& config_raw, const std::vector<std::string>& layer_paths,
             const std::string& manifest_raw, const std::vector<std::string>& names,
             const std::vector<std::string>& expected_blob_digests) {
    Json config = parse_json(config_raw, "image config");
    std::vector<std::string> diff_ids;
    if (config.contains("rootfs") && config["rootfs"].contains("diff_ids"))
        for (auto& d : config["rootfs"]["diff_ids"]) diff_ids.push_back(d.get<std::string>());
    if (diff_ids.size() != layer_paths.size())
        throw Error("archive: the image config lists " + std::to_string(diff_ids.size()) + " layers but the manifest " +
                    std::to_string(layer_paths.size()));
    std::vector<Store::NewLayer> fresh;
    std::string parent;
    for (size_t i = 0; i < layer_paths.size(); ++i) {
        std::string chain = chain_id(parent, diff_ids[i]);
        bool known = false;
        if (auto* peek = c.peek_layer(layer_paths[i])) {
            if (peek->digests.diff_id != diff_ids[i])
                throw Error("archive: layer " + layer_paths[i] + " has diff ID " + peek->digests.diff_id +
                            ", the image config says " + diff_ids[i]);
            if (i < expected_blob_digests.size() && !expected_blob_digests[i].empty() &&
                peek->source_digest != expected_blob_digests[i])
                throw Error("archive: layer " + layer_paths[i] + " does not match its digest " + expected_blob_digests[i]);
        }
        if (auto u = c.take_layer(layer_paths[i], known)) {
            fresh.push_back(finish_layer(std::move(*u), parent));
        } else if (!known) {
            throw Error("archive: layer " + layer_paths[i] + " is missing");
        } else if (!c.store().find_layer(chain)) {
            bool in_fresh = false;
            for (auto& f : fresh) in_fresh |= f.layer.id == chain;
            if (!in_fresh) throw Error("archive: layer " + layer_paths[i] + " is used twice in a way skiff cannot map");
        }
        parent = chain;
    }
    try {
        return c.store().commit_image(fresh, parent, config_raw, manifest_raw, names);
    } catch (...) {
        for (auto& f : fresh) {
            fs::remove_all(f.tree_tmp);
            fs::remove_all(f.blob_tmp);
        }
        throw;
    }
}

std::vector<LoadedImage> finish_docker(Collected& c) {
    Json manifest = parse_json(c.small_file("manifest.json", "manifest"), "manifest.json");
    if (!manifest.is_array()) throw Error("archive: manifest.json is not a list");
    std::vector<LoadedImage> out;
    for (auto& entry : manifest) {
        std::string config_raw = c.small_file(entry.value("Config", ""), "image config");
        // Docker's ID is the config digest: check the name it was filed under.
        std::vector<std::string> paths;
        for (auto& l : entry.value("Layers", Json::array())) paths.push_back(l.get<std::string>());
        std::vector<std::string> tags;
        if (entry.contains("RepoTags") && entry["RepoTags"].is_array())
            for (auto& t : entry["RepoTags"]) tags.push_back(t.get<std::string>());
        auto names = normalized_names(tags);
        out.push_back({commit(c, config_raw, paths, "", names, {}), tags});
    }
    return out;
}

std::string blob_path(const std::string& digest) {
    auto colon = digest.find(':');
    if (colon == std::string::npos || digest.substr(0, colon) != "sha256" || !str::is_hex(digest.substr(colon + 1)))
        throw Error("archive: unsupported digest \"" + digest + "\"");
    return "blobs/sha256/" + digest.substr(colon + 1);
}

const std::string& verified_blob(const Collected& c, const std::string& digest, const std::string& what) {
    const std::string& data = c.small_file(blob_path(digest), what);
    if (Sha256::digest_of(data) != digest) throw Error("archive: " + what + " does not match its digest " + digest);
    return data;
}

void finish_oci_manifest(Collected& c, const Json& desc, const std::vector<std::string>& names,
                         std::vector<LoadedImage>& out, int depth) {
    std::string media = desc.value("mediaType", "");
    std::string raw = verified_blob(c, desc.value("digest", ""), "manifest");
    Json m = parse_json(raw, "manifest");
    std::string mt = m.value("mediaType", media);
    if (mt.find("index") != std::string::npos || mt.find("manifest.list") != std::string::npos || m.contains("manifests")) {
        if (depth > 4) throw Error("archive: index nesting is too deep");
        for (auto& d : m["manifests"]) finish_oci_manifest(c, d, names, out, depth + 1);
        return;
    }
    std::string config_raw = verified_blob(c, m["config"].value("digest", ""), "image config");
    std::vector<std::string> paths, digests;
    for (auto& l : m.value("layers", Json::array())) {
        paths.push_back(blob_path(l.value("digest", "")));
        digests.push_back(l.value("digest", ""));
    }
    out.push_back({commit(c, config_raw, paths, raw, names, digests), names});
}

std::vector<LoadedImage> finish_oci(Collected& c) {
    Json index = parse_json(c.small_file("index.json", "index"), "index.json");
    std::vector<LoadedImage> out;
    for (auto& desc : index.value("manifests", Json::array())) {
        std::vector<std::string> names;
        if (desc.contains("annotations")) {
            auto& ann = desc["annotations"];
            std::string ref = ann.value("io.containerd.image.name", ann.value("org.opencontainers.image.ref.name", ""));
            // A bare tag ("latest") names no repository: the image stays unnamed.
            if (!ref.empty() && (ref.find('/') != std::string::npos || ref.find(':') != std::string::npos ||
                                 ref.find('@') != std::string::npos))
                names.push_back(parse_reference(ref).full());
        }
        finish_oci_manifest(c, desc, names, out, 0);
    }
    return out;
}

std::vector<LoadedImage> finish(Collected& c) {
    if (c.small.count("manifest.json")) return finish_docker(c);
    if (c.small.count("index.json")) return finish_oci(c);
    throw Error("archive: neither a docker-archive (manifest.json) nor an OCI archive (index.json)");
}

}  // namespace

std::vector<LoadedImage> load_archive(Store& store, const layers::ReadFn& src) {
    Collected c(store);
    collect_archive(c, src);
    return finish(c);
}

std::vector<LoadedImage> load_oci_dir(Store& store, const std::string& dir) {
    Collected c(store);
    for (const char* name : {"index.json", "oci-layout"})
        if (auto text = fs::read_file_if_exists(fs::join(dir, name))) c.small[name] = *text;
    if (!c.small.count("index.json")) throw Error(dir + ": not an OCI layout (index.json missing)");
    // Blobs are read on demand: small ones into memory, layers unpacked.
    std::vector<std::string> blobs;
    std::string bdir = fs::join(dir, "blobs/sha256");
    for (auto& entry : std::filesystem::directory_iterator(bdir)) blobs.push_back(entry.path().filename());
    for (auto& hex : blobs) {
        std::string path = bdir + "/" + hex;
        UniqueFd fd = fs::open_or_throw(path, O_RDONLY);
        char head[kPeek];
        ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
        if (n < 0) throw_errno("read " + path);
        if (looks_like_layer(std::string_view(head, static_cast<size_t>(n))))
            c.add_layer("blobs/sha256/" + hex, unpack_layer(store, layers::fd_reader(fd.get())));
        else
            c.small["blobs/sha256/" + hex] = fs::read_file(path);
    }
    return finish(c);
}

ArchiveFormat parse_archive_format(const std::string& name) {
    if (name == "docker-archive" || name.empty()) return ArchiveFormat::DockerArchive;
    if (name == "oci-archive") return ArchiveFormat::OciArchive;
    if (name == "oci-dir") return ArchiveFormat::OciDir;
    if (name == "docker-dir") return ArchiveFormat::DockerDir;
    throw Error("unsupported format \"" + name + "\": expected docker-archive, oci-archive, oci-dir or docker-dir");
}

}  // namespace skiff::image
