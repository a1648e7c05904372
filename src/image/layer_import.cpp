#include "image/layer_import.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "layers/driver.hpp"
#include "layers/userns.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::image {

bool in_user_namespace() { return layers::in_user_namespace(); }

layers::ApplyOptions apply_options(Store& store) {
    // The store's driver says how its layers are kept. Commands settle it
    // in Engine::enter_storage_namespace(); a caller that did not gets the
    // recorded or detected one. Pulls unpack from several threads: the
    // database is asked once, under the lock.
    static std::mutex mu;
    static std::map<std::string, layers::ApplyOptions> known;  // by store root
    std::lock_guard lock(mu);
    auto it = known.find(store.paths().root());
    if (it == known.end()) {
        auto opts = layers::store_driver_options(store.paths());
        auto choice = layers::select_store_driver(&store.db(), opts, "", true);
        it = known.emplace(store.paths().root(), layers::make_driver(choice.kind, std::move(opts))->layer_apply_options())
                 .first;
    }
    return it->second;
}

namespace {

// The copy kept of a plain layer: fast zstd on threads of its own, so that
// it keeps pace with unpacking; the diff ID is hashed once, by the unpacker.
layers::CompressOptions zstd_options() {
    layers::CompressOptions o;
    o.level = 1;
    o.hash_input = false;
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = static_cast<int>(std::clamp(cpus / 2, 1L, 4L));
    return o;
}

}  // namespace

UnpackedLayer unpack_layer(Store& store, const layers::ReadFn& src, const std::string& expect_digest) {
    UnpackedLayer u;
    u.tree_tmp = store.make_temp_dir("layer");
    u.blob_tmp = u.tree_tmp + ".blob";
    try {
        UniqueFd blob = fs::open_or_throw(u.blob_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        // Peek the compression from the first bytes, then tee every byte the
        // unpacker reads into the blob file (recompressed only when plain).
        std::string head;
        bool started = false;
        layers::Compression comp = layers::Compression::None;
        std::unique_ptr<layers::CompressWriter> zstd;
        auto sink = layers::fd_writer(blob.get());
        layers::ReadFn tee = [&](char* buf, size_t len) -> size_t {
            size_t n = src(buf, len);
            if (!started) {
                started = true;
                comp = layers::detect_compression(std::string_view(buf, n));
                if (comp == layers::Compression::None)
                    zstd = std::make_unique<layers::CompressWriter>(sink, layers::Compression::Zstd,
                                                                    zstd_options());
            }
            if (n > 0) {
                if (zstd) zstd->write(buf, n);
                else sink(buf, n);
            }
            return n;
        };
        auto opts = apply_options(store);
        opts.expect_digest = expect_digest;
        // No write-back is forced while unpacking (it slows file creation
        // on a busy journal): the layer is committed as unsynced and
        // flushed behind the command's back (Store::settle_unsynced).
        bool durable = opts.sync;
        opts.sync = false;
        auto res = layers::apply_tar(tee, u.tree_tmp, opts);
        u.digests = res;
        u.source_digest = res.digest;
        u.source_size = res.compressed_size;
        if (zstd) {
            auto zd = zstd->finish();
            u.digests.digest = zd.digest;
            u.digests.compressed_size = zd.compressed_size;
            u.blob_media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
        } else {
            u.blob_media_type = comp == layers::Compression::Gzip ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                                                  : "application/vnd.oci.image.layer.v1.tar+zstd";
        }
        u.unsynced = durable;
    } catch (...) {
        discard(u);
        throw;
    }
    return u;
}

Store::NewLayer finish_layer(UnpackedLayer&& u, const std::string& parent_chain) {
    Store::NewLayer n;
    n.layer.id = chain_id(parent_chain, u.digests.diff_id);
    n.layer.parent = parent_chain;
    n.layer.diff_id = u.digests.diff_id;
    n.layer.blob_digest = u.digests.digest;
    n.layer.blob_media_type = u.blob_media_type;
    n.layer.blob_size = static_cast<int64_t>(u.digests.compressed_size);
    n.layer.size = static_cast<int64_t>(u.digests.size);
    n.tree_tmp = std::move(u.tree_tmp);
    n.blob_tmp = std::move(u.blob_tmp);
    n.unsynced = u.unsynced;
    return n;
}

void discard(const UnpackedLayer& u) {
    if (!u.tree_tmp.empty()) fs::remove_all(u.tree_tmp);
    if (!u.blob_tmp.empty()) ::unlink(u.blob_tmp.c_str());
}

}  // namespace skiff::image
