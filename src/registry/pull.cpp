#include "registry/pull.hpp"

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "image/layer_import.hpp"
#include "image/reference.hpp"
#include "registry/blob_reader.hpp"
#include "registry/manifest.hpp"
#include "registry/progress.hpp"
#include "registry/registries_conf.hpp"
#include "registry/store_extras.hpp"
#include "registry/repository.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace skiff::registry {

namespace {

constexpr size_t kMaxConfig = 64 << 20;
constexpr size_t kMaxParallel = 4;

// Scratch layers not yet committed: discarded unless released.
class Unpacked {
public:
    explicit Unpacked(size_t n) : layers_(n) {}
    ~Unpacked() {
        for (auto& u : layers_)
            if (u) image::discard(*u);
    }
    Unpacked(const Unpacked&) = delete;
    Unpacked& operator=(const Unpacked&) = delete;

    void put(size_t i, image::UnpackedLayer u) {
        std::lock_guard lk(mu_);
        layers_[i] = std::move(u);
    }
    std::optional<image::UnpackedLayer> take(size_t i) {
        auto u = std::move(layers_[i]);
        layers_[i].reset();
        return u;
    }

private:
    std::mutex mu_;
    std::vector<std::optional<image::UnpackedLayer>> layers_;
};

std::string display_name(const image::Reference& r) { return r.familiar(); }

// Downloads and unpacks the layers at `todo` (indexes into `m.layers`), up
// to kMaxParallel at a time. The first failure cancels the others.
void fetch_layers(image::Store& store, Repository& repo, const ImageManifest& m, const std::vector<std::string>& diff_ids,
                  const std::vector<size_t>& todo, const std::vector<int>& rows, Progress& prog, Unpacked& out) {
    std::atomic<size_t> next{0};
    std::atomic<bool> cancel{false};
    std::mutex err_mu;
    std::exception_ptr first_error;
    auto worker = [&] {
        for (;;) {
            size_t k = next++;
            if (k >= todo.size() || cancel) return;
            size_t i = todo[k];
            const Descriptor& d = m.layers[i];
            int row = rows[i];
            std::unique_ptr<BlobReader> reader;
            bool unpacked = false;
            try {
                prog.status(row, "Downloading");
                reader = std::make_unique<BlobReader>(repo, d, [&prog, row](uint64_t n) { prog.advance(row, n); }, &cancel);
                BlobReader* rd = reader.get();
                image::UnpackedLayer u =
                    image::unpack_layer(store, [rd](char* buf, size_t len) { return rd->read(buf, len); }, d.digest);
                unpacked = true;
                if (u.digests.diff_id != diff_ids[i]) {
                    image::discard(u);
                    throw Error("the image config says its diff ID is " + diff_ids[i] + ", the content hashes to " +
                                u.digests.diff_id);
                }
                out.put(i, std::move(u));
                prog.status(row, "Pull complete");
            } catch (const std::exception& e) {
                if (cancel) return;  // another layer failed first: its error is the one to show
                std::string why = reader && !reader->failure().empty() ? reader->failure() : e.what();
                if (reader && reader->failure().empty() && !unpacked && why.find("digest mismatch") == std::string::npos) {
                    // The bytes arrived but did not unpack: a corrupt download
                    // shows as a digest mismatch, anything else is the image's.
                    try {
                        std::string got = fetch_digest(repo, d);
                        if (got != d.digest) why = "digest mismatch: expected " + d.digest + ", got " + got + " (corrupt blob)";
                    } catch (const std::exception&) {
                    }
                }
                std::lock_guard lk(err_mu);
                if (!first_error) {
                    first_error = std::make_exception_ptr(
                        Error("pulling layer " + short_digest(d.digest) + " of " + repo.name() + ": " + why));
                    prog.status(row, "Failed");
                }
                cancel = true;
                return;
            }
        }
    };
    {
        std::vector<std::jthread> threads;
        size_t n = std::min(kMaxParallel, todo.size());
        for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
        worker();  // this thread is one of the workers
    }  // jthreads join here, also when worker() threw
    if (first_error) std::rethrow_exception(first_error);
}

struct Pulled {
    image::Image image;
    bool up_to_date = false;
    std::string digest;  // what the name points at: the index's digest, or the manifest's
};

// One image from one place: `src` says where to fetch, `name` what to call it.
Pulled pull_from(engine::Engine& e, const PullSource& src, const image::Reference& name, const Platform& want,
                 bool platform_asked, const PullOptions& opts, Progress& prog) {
    image::Store& store = e.images();
    Session session(src.ref.domain, opts.registry, src.insecure, src.ref.repository());
    Repository repo(session, src.ref.path);
    HttpClient c;
    std::string ref = src.ref.digest.empty() ? src.ref.tag : src.ref.digest;
    std::string shown = src.ref.full();

    prog.line(ref + ": Pulling from " + src.ref.path);
    FetchedManifest top = repo.get_manifest(c, ref);
    FetchedManifest chosen = top;
    std::string index_digest;
    switch (manifest_kind(top.content_type, top.doc)) {
    case ManifestKind::Schema1:
        throw Error(shown + ": Docker schema 1 manifests are not supported (the image is too old); re-push it with a "
                            "current Docker, Podman or skiff");
    case ManifestKind::Unknown:
        throw Error(shown + ": unsupported manifest type \"" + top.content_type + "\"");
    case ManifestKind::Index: {
        index_digest = top.digest;
        Descriptor d = select_platform(top.doc, want, shown);
        chosen = repo.get_manifest(c, d.digest);
        if (manifest_kind(chosen.content_type, chosen.doc) != ManifestKind::Image)
            throw Error(shown + ": the manifest list's entry for " + want.str() + " is not an image manifest");
        break;
    }
    case ManifestKind::Image:
        break;
    }
    ImageManifest m = parse_image_manifest(chosen.doc, chosen.content_type);
    const std::string& cmt = m.config.media_type;
    if (!cmt.empty() && cmt != media::kOciConfig && cmt != media::kDockerConfig)
        throw Error(shown + " is not a container image (its config is " + cmt + ")");

    std::string config_raw = repo.get_blob(c, m.config, kMaxConfig);
    Json config;
    try {
        config = Json::parse(config_raw);
    } catch (const Json::exception& ex) {
        throw Error(shown + ": the image config is not valid JSON: " + ex.what());
    }
    std::vector<std::string> diff_ids;
    if (config.contains("rootfs") && config["rootfs"].contains("diff_ids") && config["rootfs"]["diff_ids"].is_array())
        for (auto& d : config["rootfs"]["diff_ids"])
            if (d.is_string()) diff_ids.push_back(d.get<std::string>());
    if (diff_ids.size() != m.layers.size())
        throw Error(shown + ": the manifest lists " + std::to_string(m.layers.size()) + " layers but the config " +
                    std::to_string(diff_ids.size()));
    if (index_digest.empty() && platform_asked) {
        Platform have{config.value("os", ""), normalize_arch(config.value("architecture", "")), config.value("variant", "")};
        if (have.os != want.os || have.arch != want.arch)
            prog.line("WARNING: image platform (" + have.str() + ") does not match the expected platform (" +
                      want.str() + ")");
    }

    std::vector<std::string> chain(m.layers.size());
    std::vector<size_t> todo;
    std::vector<int> rows(m.layers.size(), -1);
    for (size_t i = 0; i < m.layers.size(); ++i) {
        chain[i] = image::chain_id(i == 0 ? "" : chain[i - 1], diff_ids[i]);
        bool have = store.find_layer(chain[i]).has_value();
        rows[i] = prog.add(short_digest(m.layers[i].digest), have ? "Already exists" : "Pulling fs layer",
                           m.layers[i].size > 0 ? static_cast<uint64_t>(m.layers[i].size) : 0);
        if (!have) todo.push_back(i);
    }
    bool existed = store.get_by_id(Sha256::of(config_raw)).has_value();

    Unpacked unpacked(m.layers.size());
    if (!todo.empty()) fetch_layers(store, repo, m, diff_ids, todo, rows, prog, unpacked);
    std::vector<image::Store::NewLayer> fresh;
    for (size_t i : todo) fresh.push_back(image::finish_layer(std::move(*unpacked.take(i)), i == 0 ? "" : chain[i - 1]));

    std::vector<std::string> names = {name.full()};
    Pulled out;
    try {
        out.image = store.commit_image(fresh, chain.empty() ? "" : chain.back(), config_raw, chosen.raw, names);
    } catch (...) {
        for (auto& f : fresh) {
            fs::remove_all(f.tree_tmp);
            fs::remove_all(f.blob_tmp);
        }
        throw;
    }
    out.digest = index_digest.empty() ? chosen.digest : index_digest;
    add_repo_digest(store, out.image.id, name.repository() + "@" + chosen.digest);
    if (!index_digest.empty()) add_repo_digest(store, out.image.id, name.repository() + "@" + index_digest);
    out.image = *store.get_by_id(out.image.id);
    out.up_to_date = existed && todo.empty();
    return out;
}

Platform wanted_platform(const PullOptions& o, bool* asked) {
    *asked = !o.platform.empty() || !o.os.empty() || !o.arch.empty() || !o.variant.empty();
    return requested_platform(o.platform, o.os, o.arch, o.variant);
}

// "NAME: why", unless the message already starts with the name.
std::string tagged(const std::string& name, const std::string& why) {
    return why.rfind(name, 0) == 0 ? why : name + ": " + why;
}

// Tries each candidate name and each of its sources in order.
Pulled pull_candidates(engine::Engine& e, const std::string& text, const PullOptions& opts, Progress& prog,
                       const std::vector<image::Reference>& candidates, const RegistriesConf& conf) {
    bool asked = false;
    Platform want = wanted_platform(opts, &asked);
    std::vector<std::string> failures;
    bool all_not_found = true;
    size_t tries = 0;
    std::exception_ptr only;
    for (auto& cand : candidates) {
        std::vector<PullSource> sources;
        try {
            sources = pull_sources(conf, cand);
        } catch (const Error& err) {
            failures.push_back(err.what());
            all_not_found = false;
            ++tries;
            only = std::current_exception();
            continue;
        }
        for (auto& src : sources) {
            ++tries;
            if (candidates.size() > 1 || sources.size() > 1) prog.line("Trying to pull " + src.ref.full() + "...");
            try {
                return pull_from(e, src, cand, want, asked, opts, prog);
            } catch (const NotFound& err) {
                failures.push_back(tagged(src.ref.full(), err.what()));
                only = std::current_exception();
            } catch (const Error& err) {
                failures.push_back(tagged(src.ref.full(), err.what()));
                all_not_found = false;
                only = std::current_exception();
            }
        }
    }
    if (tries == 1 && only) std::rethrow_exception(only);
    std::string msg = "pulling " + text + ": every candidate failed: " + str::join(failures, "; ");
    if (all_not_found) throw NotFound(msg);
    throw Error(msg);
}

// Podman's transport prefix: "docker://quay.io/x" is "quay.io/x".
std::string strip_transport(const std::string& ref) {
    if (ref.rfind("docker://", 0) == 0) return ref.substr(9);
    if (ref.find("://") != std::string::npos)
        throw Error("unsupported transport in \"" + ref + "\": pull takes registry references (use load for archives)");
    return ref;
}

void say_done(Progress& prog, const Pulled& p, const std::string& name) {
    prog.line("Digest: " + p.digest);
    prog.line(p.up_to_date ? "Status: Image is up to date for " + name
                           : "Status: Downloaded newer image for " + name);
}

}  // namespace

image::Image pull_image(engine::Engine& e, const std::string& ref, const PullOptions& opts) {
    std::string text = strip_transport(ref);
    if (image::looks_like_id(text) && text.find('/') == std::string::npos)
        throw Error("cannot pull an image ID (" + text + "): name the image");
    RegistriesConf conf = load_registries_conf();
    auto candidates = short_name_candidates(conf, text);
    Progress prog(Progress::mode_for(opts.quiet));
    Pulled p = pull_candidates(e, text, opts, prog, candidates, conf);
    std::string name;
    for (auto& n : p.image.names) {
        // The name this pull gave it, in Docker's short form.
        for (auto& c : candidates)
            if (n == c.full()) name = display_name(c);
    }
    say_done(prog, p, name.empty() ? text : name);
    return p.image;
}

std::vector<image::Image> pull_all_tags(engine::Engine& e, const std::string& ref, const PullOptions& opts) {
    std::string text = strip_transport(ref);
    RegistriesConf conf = load_registries_conf();
    std::string bare = text.substr(0, text.find('@'));
    if (auto colon = bare.rfind(':'); (colon != std::string::npos && bare.find('/', colon) == std::string::npos) ||
                                      bare.size() != text.size())
        throw Error("tag can't be used with --all-tags/-a");
    auto candidates = short_name_candidates(conf, text);
    Progress prog(Progress::mode_for(opts.quiet));
    std::vector<std::string> failures;
    for (auto& cand : candidates) {
        std::vector<std::string> tags;
        try {
            auto sources = pull_sources(conf, cand);
            const PullSource& primary = sources.back();
            Session s(primary.ref.domain, opts.registry, primary.insecure, primary.ref.repository());
            Repository repo(s, primary.ref.path);
            HttpClient c;
            tags = repo.tags(c);
        } catch (const Error& err) {
            failures.push_back(err.what());
            continue;
        }
        if (tags.empty()) {
            failures.push_back(cand.repository() + ": no tags");
            continue;
        }
        std::vector<image::Image> out;
        for (auto& tag : tags) {
            image::Reference r = cand;
            r.tag = tag;
            r.digest.clear();
            Pulled p = pull_candidates(e, r.full(), opts, prog, {r}, conf);
            say_done(prog, p, display_name(r));
            out.push_back(p.image);
        }
        return out;
    }
    throw Error("pulling all tags of " + text + ": " + str::join(failures, "; "));
}

std::optional<image::Image> ensure_image(engine::Engine& e, const std::string& ref, const std::string& policy,
                                         const PullOptions& opts) {
    if (policy == "always") return pull_image(e, ref, opts);
    if (policy != "missing" && !policy.empty() && policy != "never" && policy != "newer")
        throw Error("invalid pull policy \"" + policy + "\": expected always, missing, never or newer");
    std::optional<image::Image> local = e.images().find(ref);
    if (policy == "never") return local;
    if (!local) {
        if (!opts.quiet) std::cerr << "Unable to find image '" << ref << "' locally\n";
        return pull_image(e, ref, opts);
    }
    if (policy != "newer" || image::looks_like_id(ref)) return local;
    try {
        std::string name = e.images().name_for(ref, *local);
        if (name.empty()) return local;
        image::Reference r = image::parse_reference(name);
        if (!r.digest.empty()) return local;  // a digest never changes
        RegistriesConf conf = load_registries_conf();
        auto sources = pull_sources(conf, r);
        const PullSource& primary = sources.back();
        Session s(primary.ref.domain, opts.registry, primary.insecure, primary.ref.repository());
        Repository repo(s, primary.ref.path);
        HttpClient c;
        std::string remote = repo.manifest_digest(c, r.tag);
        if (local->manifest_digest == remote) return local;
        for (auto& d : local->digests)
            if (d == r.repository() + "@" + remote) return local;
    } catch (const Error& err) {
        std::cerr << "WARNING: checking " << ref << " for a newer image: " << err.what() << "; using the local image\n";
        return local;
    }
    return pull_image(e, ref, opts);
}

}  // namespace skiff::registry
