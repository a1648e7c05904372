// Loading docker-archive, oci-archive and OCI layout directories.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "image/archive.hpp"
#include "image/archive_manifest.hpp"
#include "image/layer_import.hpp"
#include "image/reference.hpp"
#include "layers/safe_path.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace skiff::image {

namespace {

using layers::printable;

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

// One layer member of the archive: unpacked while it streamed by, and
// what it turned out to be. The digests are kept after the tree is taken,
// so that every manifest entry naming the member is checked against the
// bytes actually read, not only the first.
struct LayerSlot {
    std::optional<UnpackedLayer> unpacked;
    std::string diff_id, source_digest;
    uint64_t source_size = 0;
    bool claimed = false;  // its tree is planned for one chain already
};

// What one pass over an archive (or a layout dir) collected. Owns every
// unpacked tree until it is committed; the rest is discarded with it.
class Collected {
public:
    explicit Collected(Store& store) : store_(store) {}
    ~Collected() {
        for (auto& [name, slot] : slots_)
            if (slot.unpacked) discard(*slot.unpacked);
        for (auto& copy : copies_)
            if (copy) discard(*copy);
    }
    Collected(const Collected&) = delete;
    Collected& operator=(const Collected&) = delete;

    // A name met twice in a tar: the last member wins, as when extracting.
    void forget(const std::string& name) {
        small_.erase(name);
        links_.erase(name);
        if (auto it = slots_.find(name); it != slots_.end()) {
            if (it->second.unpacked) discard(*it->second.unpacked);
            slots_.erase(it);
        }
    }
    void add_small(const std::string& name, std::string data) {
        forget(name);
        small_[name] = std::move(data);
    }
    void add_link(const std::string& name, const std::string& target) {
        forget(name);
        links_[name] = target;
    }
    void add_layer(const std::string& name, UnpackedLayer u) {
        forget(name);
        LayerSlot& slot = slots_[name];
        slot.diff_id = u.digests.diff_id;
        slot.source_digest = u.source_digest;
        slot.source_size = u.source_size;
        slot.unpacked = std::move(u);
    }
    bool has_small(const std::string& name) const { return small_.count(name) > 0; }

    std::string follow(std::string name) const {
        for (int i = 0; i < 16; ++i) {
            auto it = links_.find(name);
            if (it == links_.end()) return name;
            name = it->second;
        }
        throw Error("archive: too many levels of links at " + printable(name));
    }

    const std::string& small_file(const std::string& name, const std::string& what) const {
        auto it = small_.find(follow(name));
        if (it == small_.end()) {
            if (slots_.count(follow(name))) throw Error("archive: " + what + " \"" + printable(name) + "\" is a layer");
            throw Error("archive: " + what + " \"" + printable(name) + "\" is missing");
        }
        return it->second;
    }

    // The layer member `name` names. A small member is a layer only when
    // it unpacks as one (an empty layer is 1024 zero bytes, with no tar
    // magic to spot it by); an empty file is no layer at all.
    LayerSlot& layer(const std::string& name) {
        std::string real = follow(name);
        if (auto it = slots_.find(real); it != slots_.end()) return it->second;
        auto s = small_.find(real);
        if (s == small_.end()) throw Error("archive: layer " + printable(name) + " is missing");
        if (s->second.empty()) throw Error("archive: layer " + printable(name) + " is empty (a corrupt archive)");
        std::string data = std::move(s->second);
        small_.erase(s);
        size_t pos = 0;
        layers::ReadFn reader = [&](char* buf, size_t len) {
            size_t n = std::min(len, data.size() - pos);
            std::memcpy(buf, data.data() + pos, n);
            pos += n;
            return n;
        };
        try {
            add_layer(real, unpack_layer(store_, reader));
        } catch (const Error& e) {
            throw Error("archive: layer " + printable(name) + " is not a valid layer: " + e.what());
        }
        return slots_.at(real);
    }

    // A second tree of the slot's layer, for a second place in a chain:
    // unpacked again from the blob kept of the first.
    std::optional<UnpackedLayer>& unpack_again(const LayerSlot& slot) {
        UniqueFd fd = fs::open_or_throw(slot.unpacked->blob_tmp, O_RDONLY);
        copies_.emplace_back(unpack_layer(store_, layers::fd_reader(fd.get())));
        return copies_.back();
    }

    Store& store() { return store_; }

private:
    Store& store_;
    std::map<std::string, std::string> small_;
    std::map<std::string, std::string> links_;
    std::map<std::string, LayerSlot> slots_;
    std::deque<std::optional<UnpackedLayer>> copies_;  // stable addresses
};

void collect_member(Collected& c, struct archive* a, const std::string& name, int64_t size) {
    std::string head;
    head.resize(kPeek);
    la_ssize_t got = 0;
    while (static_cast<size_t>(got) < kPeek) {
        la_ssize_t n = archive_read_data(a, head.data() + got, kPeek - static_cast<size_t>(got));
        if (n < 0) throw Error("archive: reading " + printable(name) + ": " + archive_error_string(a));
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
            if (n < 0) throw Error("archive: reading " + printable(name) + ": " + archive_error_string(a));
            return static_cast<size_t>(n);
        };
        try {
            c.add_layer(name, unpack_layer(c.store(), member));
        } catch (const Error& e) {
            std::string msg = e.what();
            if (msg.rfind("archive: ", 0) == 0) throw;
            throw Error("archive: layer " + printable(name) + ": " + msg);
        }
        return;
    }
    if (size > static_cast<int64_t>(kMaxSmallMember))
        throw Error("archive: member " + printable(name) + " is neither a layer nor a small metadata file");
    std::string data = head;
    char buf[65536];
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0) throw Error("archive: reading " + printable(name) + ": " + archive_error_string(a));
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    c.add_small(name, std::move(data));
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
        const char* raw = archive_entry_pathname(e);
        if (!raw) throw Error("archive: a member has no usable name");
        std::string name = clean_name(raw);
        if (name.empty()) continue;
        if (const char* hl = archive_entry_hardlink(e)) {
            c.add_link(name, clean_name(hl));
            continue;
        }
        switch (archive_entry_filetype(e)) {
        case AE_IFREG:
            collect_member(c, a.get(), name, archive_entry_size(e));
            break;
        case AE_IFLNK:
            c.add_link(name, resolve_link(name, archive_entry_symlink(e) ? archive_entry_symlink(e) : ""));
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

// What the manifest says of one layer beyond its diff ID (OCI: the blob).
struct Expected {
    std::string digest;
    std::optional<int64_t> size;
};

// One image, checked in full and ready to commit: every layer the store
// lacks has its unpacked tree and its parent chain.
struct PlannedImage {
    std::string config_raw, manifest_raw;
    std::vector<std::string> names, tags;
    std::vector<std::pair<std::optional<UnpackedLayer>*, std::string>> fresh;
    std::string top;
};

class Planner {
public:
    explicit Planner(Collected& c) : c_(c) {}

    void add(const std::string& config_raw, const std::vector<std::string>& layer_paths,
             const std::vector<Expected>& expected, const std::string& manifest_raw,
             const std::vector<std::string>& tags) {
        PlannedImage p;
        p.config_raw = config_raw;
        p.manifest_raw = manifest_raw;
        p.tags = tags;
        p.names = normalized_names(tags);
        auto diff_ids = config_diff_ids(config_raw);
        if (diff_ids.size() != layer_paths.size())
            throw Error("archive: the image config lists " + std::to_string(diff_ids.size()) +
                        " layers but the manifest " + std::to_string(layer_paths.size()));
        std::string parent;
        for (size_t i = 0; i < layer_paths.size(); ++i) {
            const std::string& path = layer_paths[i];
            LayerSlot& slot = c_.layer(path);
            check(slot, path, diff_ids[i], i < expected.size() ? expected[i] : Expected{});
            std::string chain = chain_id(parent, diff_ids[i]);
            if (!planned_.count(chain) && !c_.store().find_layer(chain)) {
                if (!slot.claimed) {
                    slot.claimed = true;
                    p.fresh.emplace_back(&slot.unpacked, parent);
                } else {
                    // The same blob at another place in a chain (an empty
                    // layer, say): a tree of its own.
                    p.fresh.emplace_back(&c_.unpack_again(slot), parent);
                }
                planned_.insert(chain);
            }
            parent = chain;
        }
        p.top = parent;
        images_.push_back(std::move(p));
    }

    // Nothing reaches the store before every image has been checked.
    std::vector<LoadedImage> commit() {
        std::vector<LoadedImage> out;
        for (auto& p : images_) {
            std::vector<Store::NewLayer> fresh;
            for (auto& [slot, parent] : p.fresh) {
                fresh.push_back(finish_layer(std::move(**slot), parent));
                slot->reset();
            }
            try {
                out.push_back({c_.store().commit_image(fresh, p.top, p.config_raw, p.manifest_raw, p.names), p.tags});
            } catch (...) {
                for (auto& f : fresh) {
                    fs::remove_all(f.tree_tmp);
                    fs::remove_all(f.blob_tmp);
                }
                throw;
            }
        }
        return out;
    }

private:
    // Each use of a layer is checked against the bytes read, not only the
    // first: two entries may name one member and claim different IDs.
    static void check(const LayerSlot& slot, const std::string& path, const std::string& diff_id,
                      const Expected& want) {
        if (slot.diff_id != diff_id)
            throw Error("archive: layer " + printable(path) + " has diff ID " + slot.diff_id + ", the image config says " +
                        diff_id);
        if (!want.digest.empty() && slot.source_digest != want.digest)
            throw Error("archive: layer " + printable(path) + " does not match its digest " + want.digest);
        if (want.size && static_cast<uint64_t>(*want.size) != slot.source_size)
            throw Error("archive: layer " + printable(path) + " is " + std::to_string(slot.source_size) +
                        " bytes, its descriptor says " + std::to_string(*want.size));
    }

    Collected& c_;
    std::set<std::string> planned_;  // chains some planned image brings
    std::vector<PlannedImage> images_;
};

std::vector<LoadedImage> finish_docker(Collected& c) {
    auto entries = parse_docker_manifest(c.small_file("manifest.json", "manifest"));
    Planner plan(c);
    for (auto& entry : entries)
        plan.add(c.small_file(entry.config, "image config"), entry.layers, {}, "", entry.repo_tags);
    return plan.commit();
}

const std::string& verified_blob(const Collected& c, const Descriptor& d, const std::string& what) {
    const std::string& data = c.small_file(blob_path(d.digest), what);
    if (Sha256::digest_of(data) != d.digest) throw Error("archive: " + what + " does not match its digest " + d.digest);
    if (d.size && static_cast<uint64_t>(*d.size) != data.size())
        throw Error("archive: " + what + " " + d.digest + " is " + std::to_string(data.size()) +
                    " bytes, its descriptor says " + std::to_string(*d.size));
    return data;
}

void plan_oci_manifest(Collected& c, Planner& plan, const Descriptor& desc, const std::vector<std::string>& names,
                       int depth) {
    const std::string& raw = verified_blob(c, desc, "manifest");
    OciManifest m = parse_oci_manifest(raw, desc.media_type);
    if (m.is_index) {
        if (depth > 4) throw Error("archive: index nesting is too deep");
        for (auto& d : m.manifests) plan_oci_manifest(c, plan, d, names, depth + 1);
        return;
    }
    const std::string& config_raw = verified_blob(c, m.config, "image config");
    std::vector<std::string> paths;
    std::vector<Expected> expected;
    for (auto& l : m.layers) {
        paths.push_back(blob_path(l.digest));
        expected.push_back({l.digest, l.size});
    }
    plan.add(config_raw, paths, expected, raw, names);
}

std::vector<LoadedImage> finish_oci(Collected& c) {
    Planner plan(c);
    for (auto& desc : parse_oci_index(c.small_file("index.json", "index"), "index.json")) {
        std::vector<std::string> names;
        // A bare tag ("latest") names no repository: the image stays unnamed.
        const std::string& ref = desc.ref_name;
        if (!ref.empty() && (ref.find('/') != std::string::npos || ref.find(':') != std::string::npos ||
                             ref.find('@') != std::string::npos))
            names.push_back(parse_reference(ref).full());
        plan_oci_manifest(c, plan, desc, names, 0);
    }
    return plan.commit();
}

std::vector<LoadedImage> finish(Collected& c) {
    try {
        if (c.has_small("manifest.json")) return finish_docker(c);
        if (c.has_small("index.json")) return finish_oci(c);
    } catch (const Json::exception& e) {
        // archive_manifest reads every field by its type; this is the
        // net under it, so that no archive prints a library's exception.
        throw Error(std::string("archive: malformed metadata: ") + e.what());
    }
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
        if (auto text = fs::read_file_if_exists(fs::join(dir, name))) c.add_small(name, *text);
    if (!c.has_small("index.json")) throw Error(dir + ": not an OCI layout (index.json missing)");
    // Blobs are read on demand: small ones into memory, layers unpacked.
    std::vector<std::string> blobs;
    std::string bdir = fs::join(dir, "blobs/sha256");
    std::error_code ec;
    for (std::filesystem::directory_iterator it(bdir, ec), end; !ec && it != end; it.increment(ec))
        blobs.push_back(it->path().filename());
    if (ec) throw Error(bdir + ": " + ec.message());
    for (auto& hex : blobs) {
        std::string path = bdir + "/" + hex;
        UniqueFd fd = fs::open_or_throw(path, O_RDONLY);
        struct stat st;
        if (::fstat(fd.get(), &st) < 0) throw_errno("stat " + path);
        if (!S_ISREG(st.st_mode)) throw Error("archive: " + printable(path) + " is not a regular file");
        char head[kPeek];
        ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
        if (n < 0) throw_errno("read " + path);
        std::string name = "blobs/sha256/" + hex;
        if (looks_like_layer(std::string_view(head, static_cast<size_t>(n)))) {
            try {
                c.add_layer(name, unpack_layer(store, layers::fd_reader(fd.get())));
            } catch (const Error& e) {
                throw Error("archive: layer " + printable(name) + ": " + e.what());
            }
        } else if (st.st_size > static_cast<off_t>(kMaxSmallMember)) {
            throw Error("archive: " + printable(name) + " is neither a layer nor a small metadata file");
        } else {
            c.add_small(name, fs::read_file(path));
        }
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
