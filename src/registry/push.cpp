#include "registry/push.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "image/reference.hpp"
#include "registry/manifest.hpp"
#include "registry/progress.hpp"
#include "registry/recompress.hpp"
#include "registry/registries_conf.hpp"
#include "registry/repository.hpp"
#include "registry/store_extras.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace skiff::registry {

namespace {

constexpr size_t kMaxParallel = 4;
// Single PUTs of many gigabytes fail on some proxies: such blobs go in chunks.
constexpr int64_t kAutoChunkAbove = int64_t(2) << 30;
constexpr int64_t kAutoChunk = int64_t(256) << 20;

enum class Format { Oci, Docker };

struct LayerPlan {
    std::string chain;
    std::string blob_path;
    layers::Compression stored = layers::Compression::None;
    bool recompress = false;
    std::string digest;  // known up front unless recompressed
    int64_t size = 0;
    int row = -1;
};

Format parse_format(const std::string& f) {
    if (f == "oci") return Format::Oci;
    if (f == "v2s2" || f == "docker") return Format::Docker;
    throw Error("unsupported manifest format \"" + f + "\": expected oci or v2s2");
}

layers::Compression parse_compression(const std::string& c) {
    if (c.empty() || c == "gzip") return layers::Compression::Gzip;
    if (c == "zstd" || c == "zstd:chunked") return layers::Compression::Zstd;
    throw Error("unsupported compression format \"" + c + "\": expected gzip or zstd");
}

std::string layer_media_type(Format f, layers::Compression c) {
    if (f == Format::Docker) return media::kDockerLayerGzip;
    switch (c) {
    case layers::Compression::Gzip: return media::kOciLayerGzip;
    case layers::Compression::Zstd: return media::kOciLayerZstd;
    case layers::Compression::None: return media::kOciLayer;
    }
    return media::kOciLayerGzip;
}

layers::Compression sniff(const std::string& path) {
    UniqueFd fd = fs::open_or_throw(path, O_RDONLY | O_CLOEXEC);
    char head[8];
    ssize_t n = ::read(fd.get(), head, sizeof head);
    if (n < 0) throw_errno("read " + path);
    return layers::detect_compression(std::string_view(head, static_cast<size_t>(n)));
}

std::string file_digest(const std::string& path) {
    UniqueFd fd = fs::open_or_throw(path, O_RDONLY | O_CLOEXEC);
    Sha256 h;
    std::unique_ptr<char[]> buf(new char[1 << 20]);
    auto rd = layers::fd_reader(fd.get());
    while (size_t n = rd(buf.get(), 1 << 20)) h.update(buf.get(), n);
    return "sha256:" + h.hex();
}

int64_t file_size(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) throw_errno("stat " + path);
    return st.st_size;
}

layers::ReadFn string_reader(const std::string& s) {
    auto pos = std::make_shared<size_t>(0);
    return [&s, pos](char* buf, size_t len) -> size_t {
        size_t n = std::min(len, s.size() - *pos);
        std::memcpy(buf, s.data() + *pos, n);
        *pos += n;
        return n;
    };
}

// A scratch directory removed on every path out.
struct ScratchDir {
    std::string path;
    explicit ScratchDir(std::string p) : path(std::move(p)) {}
    ~ScratchDir() { fs::remove_all(path); }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
};

struct Pusher {
    image::Store& store;
    Repository& repo;
    Progress& prog;
    std::vector<std::string> mount_from;  // at most one repository is asked
    int64_t chunk = 0;
    layers::Compression target = layers::Compression::Gzip;

    int64_t chunk_for(int64_t size) const {
        if (chunk > 0) return chunk;
        return size > kAutoChunkAbove ? kAutoChunk : 0;
    }

    // Retries the whole upload (a fresh session) on a network hiccup: a
    // half-written upload cannot be continued reliably.
    template <typename F>
    void with_retries(F&& body) {
        for (int attempt = 0;; ++attempt) {
            try {
                body();
                return;
            } catch (const TransportError& e) {
                if (!e.transient() || attempt >= repo.session().retries()) throw;
                repo.session().backoff(attempt, nullptr);
            }
        }
    }

    void push_stored(HttpClient& c, LayerPlan& p) {
        if (repo.blob_exists(c, p.digest)) {
            prog.status(p.row, "Layer already exists");
            return;
        }
        std::string location;
        if (!mount_from.empty()) {
            // A refused mount starts a plain upload: its location is used below.
            location = repo.start_upload(c, p.digest, mount_from.front());
            if (location.empty()) {
                prog.status(p.row, "Mounted from " + mount_from.front());
                return;
            }
        }
        with_retries([&] {
            if (location.empty()) location = repo.start_upload(c);
            UniqueFd fd = fs::open_or_throw(p.blob_path, O_RDONLY | O_CLOEXEC);
            prog.status(p.row, "Pushing");
            auto raw = layers::fd_reader(fd.get());
            int row = p.row;
            layers::ReadFn src = [&, row](char* buf, size_t len) {
                size_t n = raw(buf, len);
                prog.advance(row, n);
                return n;
            };
            int64_t ch = chunk_for(p.size);
            std::string loc = std::exchange(location, "");
            if (ch > 0) repo.upload_chunks(c, loc, src, ch, [&] { return p.digest; });
            else repo.upload_whole(c, loc, p.digest, src, p.size);
        });
        prog.status(p.row, "Pushed");
    }

    // Compressed once into scratch space: the digest must be known before
    // asking the registry whether it has the blob (or can mount it), and a
    // retried upload then resends the file instead of compressing again.
    void push_recompressed(HttpClient& c, LayerPlan& p) {
        prog.status(p.row, "Compressing");
        ScratchDir scratch(store.make_temp_dir("push"));
        std::string out = scratch.path + "/blob";
        {
            UniqueFd in = fs::open_or_throw(p.blob_path, O_RDONLY | O_CLOEXEC);
            UniqueFd fd = fs::open_or_throw(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            Recompressor rc(layers::fd_reader(in.get()), target);
            auto sink = layers::fd_writer(fd.get());
            std::unique_ptr<char[]> buf(new char[1 << 20]);
            while (size_t n = rc.read(buf.get(), 1 << 20)) sink(buf.get(), n);
            p.digest = rc.digests().digest;
            p.size = static_cast<int64_t>(rc.digests().compressed_size);
        }
        p.blob_path = out;
        push_stored(c, p);
    }
};

void push_layers(Pusher& pusher, std::vector<LayerPlan>& plans) {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    std::exception_ptr first;
    auto worker = [&] {
        HttpClient c;
        for (;;) {
            size_t i = next++;
            if (i >= plans.size() || failed) return;
            try {
                if (plans[i].recompress) pusher.push_recompressed(c, plans[i]);
                else pusher.push_stored(c, plans[i]);
            } catch (const std::exception& e) {
                std::lock_guard lk(mu);
                if (!first) first = std::current_exception();
                failed = true;
                return;
            }
        }
    };
    {
        std::vector<std::jthread> threads;
        size_t n = std::min(kMaxParallel, plans.size());
        for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
        worker();
    }
    if (first) std::rethrow_exception(first);
}

std::string build_manifest(Format fmt, layers::Compression target, const std::string& config_digest, size_t config_size,
                           const std::vector<LayerPlan>& plans) {
    Json m = Json::object();
    m["schemaVersion"] = 2;
    m["mediaType"] = fmt == Format::Oci ? media::kOciManifest : media::kDockerManifest;
    m["config"] = {{"mediaType", fmt == Format::Oci ? media::kOciConfig : media::kDockerConfig},
                   {"digest", config_digest},
                   {"size", config_size}};
    Json layers_json = Json::array();
    for (auto& p : plans) {
        layers::Compression c = p.recompress ? target : p.stored;
        layers_json.push_back({{"mediaType", layer_media_type(fmt, c)}, {"digest", p.digest}, {"size", p.size}});
    }
    m["layers"] = layers_json;
    return m.dump();
}

// Can the manifest the image was stored with be sent unchanged (same digest)?
bool reusable(const std::optional<std::string>& stored, Format fmt, const std::string& config_digest,
              const std::vector<LayerPlan>& plans) {
    if (!stored) return false;
    try {
        Json m = Json::parse(*stored);
        std::string mt = m.value("mediaType", "");
        Format have = mt == media::kDockerManifest ? Format::Docker : Format::Oci;
        if (mt != media::kDockerManifest && mt != media::kOciManifest && !mt.empty()) return false;
        if (have != fmt || m["config"].value("digest", "") != config_digest) return false;
        auto& ls = m["layers"];
        if (!ls.is_array() || ls.size() != plans.size()) return false;
        for (size_t i = 0; i < plans.size(); ++i)
            if (plans[i].recompress || ls[i].value("digest", "") != plans[i].digest) return false;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

PushResult push_image(engine::Engine& e, const std::string& source, const std::string& dest, const PushOptions& opts) {
    image::Store& store = e.images();
    image::Image img = store.resolve(source);
    std::string dest_text = dest.rfind("docker://", 0) == 0 ? dest.substr(9) : dest;
    if (dest_text.empty()) {
        dest_text = store.name_for(source, img);
        if (dest_text.empty())
            throw Error("push: " + source + " names no repository; give a destination: skiff push " + source +
                        " REGISTRY/REPOSITORY[:TAG]");
    }
    image::Reference dref = image::parse_reference(dest_text);
    RegistriesConf conf = load_registries_conf();
    PullSource target = push_destination(conf, dref);
    layers::Compression want = parse_compression(opts.compression);

    auto stored = stored_manifest(store, img.id);
    Format fmt = Format::Oci;
    if (!opts.format.empty()) {
        fmt = parse_format(opts.format);
    } else if (stored) {
        try {
            if (Json::parse(*stored).value("mediaType", "") == media::kDockerManifest) fmt = Format::Docker;
        } catch (const std::exception&) {
        }
    }
    if (fmt == Format::Docker && want == layers::Compression::Zstd)
        throw Error("zstd compression needs an OCI manifest: use --format oci");

    Progress prog(Progress::mode_for(opts.quiet));
    prog.line("The push refers to repository [" + dref.repository() + "]");
    std::vector<LayerPlan> plans;
    for (auto& id : img.top_layer.empty() ? std::vector<std::string>{} : store.layer_chain(img.top_layer)) {
        auto layer = store.find_layer(id);
        LayerPlan p;
        p.chain = id;
        p.blob_path = store.layer_blob(id);
        if (!fs::exists(p.blob_path))
            throw Error("push: layer " + id.substr(0, 12) + " has no stored blob (the store needs repair)");
        p.stored = sniff(p.blob_path);
        p.recompress = p.stored != want;
        if (!p.recompress) {
            p.digest = layer && !layer->blob_digest.empty() ? layer->blob_digest : file_digest(p.blob_path);
            p.size = file_size(p.blob_path);
        }
        p.row = prog.add(short_digest(layer ? layer->diff_id : id), "Preparing",
                         p.recompress ? 0 : static_cast<uint64_t>(p.size));
        plans.push_back(std::move(p));
    }

    Session session(target.ref.domain, opts.registry, target.insecure, target.ref.repository());
    Repository repo(session, target.ref.path);
    Pusher pusher{store, repo, prog, {}, opts.chunk_size, want};
    // Repositories of the same registry this image came from or went to.
    std::set<std::string> seen;
    auto consider = [&](const std::string& name) {
        try {
            image::Reference r = image::parse_reference(name);
            if (r.domain == target.ref.domain && r.path != target.ref.path && seen.insert(r.path).second)
                pusher.mount_from.push_back(r.path);
        } catch (const Error&) {
        }
    };
    for (auto& d : img.digests) consider(d);
    for (auto& n : img.names) consider(n);
    if (pusher.mount_from.size() > 1) pusher.mount_from.resize(1);

    push_layers(pusher, plans);

    HttpClient c;
    std::string config_digest = "sha256:" + img.id;
    if (!repo.blob_exists(c, config_digest)) {
        std::string loc = repo.start_upload(c);
        repo.upload_whole(c, loc, config_digest, string_reader(img.config_raw),
                          static_cast<int64_t>(img.config_raw.size()));
    }

    std::string manifest = reusable(stored, fmt, config_digest, plans)
                               ? *stored
                               : build_manifest(fmt, want, config_digest, img.config_raw.size(), plans);
    std::string media_type = fmt == Format::Oci ? media::kOciManifest : media::kDockerManifest;
    PushResult res;
    res.digest = Sha256::digest_of(manifest);
    res.size = manifest.size();
    res.repository = dref.repository();
    if (!dref.digest.empty() && dref.digest != res.digest)
        throw Error("push: the manifest's digest is " + res.digest + ", not " + dref.digest + " as the destination names");
    res.ref = dref.digest.empty() ? dref.tag : dref.digest;
    repo.put_manifest(c, target.ref.digest.empty() ? target.ref.tag : res.digest, media_type, manifest);

    add_repo_digest(store, img.id, dref.repository() + "@" + res.digest);
    if (!opts.digestfile.empty()) fs::write_atomic(opts.digestfile, res.digest, 0644);
    return res;
}

}  // namespace skiff::registry
