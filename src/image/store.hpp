// The local image store: image and layer records in the state database,
// layer trees and blobs on disk. Layers are shared between images and are
// deleted when no image or container uses them any more.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "state/db.hpp"
#include "state/paths.hpp"
#include "util/json.hpp"

namespace skiff::image {

struct Layer {
    std::string id;  // chain ID, hex
    std::string parent;
    std::string diff_id;      // sha256:…
    std::string blob_digest;  // sha256:… of the stored tar source
    std::string blob_media_type;
    int64_t blob_size = 0;
    int64_t size = 0;
};

struct Image {
    std::string id;  // config digest, hex
    std::string top_layer;
    Json config;
    std::string config_raw;  // the exact bytes: the ID is their digest
    Json manifest;           // may be null (imported, committed)
    std::string manifest_digest;
    int64_t created = 0;  // ns
    int64_t added = 0;    // ns
    int64_t size = 0;
    std::vector<std::string> names;    // docker.io/library/busybox:latest
    std::vector<std::string> digests;  // repo@sha256:…

    std::vector<std::string> diff_ids() const;
};

class Store {
public:
    Store(const state::Paths& paths, state::Database& db);
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    state::Database& db() { return db_; }
    const state::Paths& paths() const { return paths_; }

    // Layers -----------------------------------------------------------
    std::optional<Layer> find_layer(const std::string& chain_id);
    // The layer's unpacked tree (driver form: whiteouts as 0:0 devices).
    std::string layer_dir(const std::string& chain_id) const;
    // Where the layer's tar (original blob, or zstd of the tar) is kept.
    std::string layer_blob(const std::string& chain_id) const;
    // Bottom-to-top chain IDs of an image.
    std::vector<std::string> layer_chain(const std::string& top);
    // A fresh scratch directory under the store's tmp (same filesystem, so
    // a finished tree is renamed into place).
    std::string make_temp_dir(const std::string& prefix) const;

    // Images -----------------------------------------------------------
    // A layer unpacked into scratch space, waiting to be committed.
    struct NewLayer {
        Layer layer;
        std::string tree_tmp;  // moved to layer_dir(id)
        std::string blob_tmp;  // moved to layer_blob(id)
        // Written without a final sync: recorded as unsynced until
        // sync_in_background() (or a later command) has flushed it.
        bool unsynced = false;
    };
    // One transaction: moves the new layers into place (or drops them when a
    // concurrent command stored the same layer first), checks the whole
    // chain exists, records the image and points `names` at it.
    Image commit_image(const std::vector<NewLayer>& fresh, const std::string& top_layer,
                       const std::string& config_raw, const std::string& manifest_raw,
                       const std::vector<std::string>& names);
    std::vector<Image> list();
    std::optional<Image> get_by_id(const std::string& id);
    // By ID, unique ID prefix, full or short name; NotFound otherwise.
    Image resolve(const std::string& ref);
    std::optional<Image> find(const std::string& ref);
    // The name of `img` that `ref` designates ("busybox" →
    // "localhost/busybox:latest"); empty when `ref` is an ID.
    std::string name_for(const std::string& ref, const Image& img) const;
    void tag(const std::string& id, const std::string& name);
    // Removes a name; true when it existed.
    bool untag(const std::string& name);
    // Deletes the image record and every layer nothing else uses.
    void remove(const std::string& id);
    // Image IDs used by containers.
    bool used_by_container(const std::string& id);

    // Layers unreferenced by images; their trees are removed. Also sweeps
    // temp debris left by a killed command.
    void collect_garbage();
    // Removes scratch dirs whose command is no longer running.
    void sweep_temp();

    // Durability without waiting: layers are committed before their files
    // reach the disk, and, once the command has closed the database, a
    // detached child flushes the file system and clears their mark
    // (sync_store_in_background). settle_unsynced() (once per command that
    // opens the store) finishes the job: marks of this boot older than a
    // minute are flushed inline (cheap by then); marks of an earlier boot
    // mean the machine went down before the flush, so those layers and the
    // images using them are removed, with a warning, rather than served torn.
    bool wrote_unsynced() const { return wrote_unsynced_; }
    void settle_unsynced();

private:
    Image read_image(state::Statement& st);
    void fill_names(Image& img);

    const state::Paths& paths_;
    state::Database& db_;
    bool wrote_unsynced_ = false;
};

// Forks the detached flusher of Store::settle_unsynced's comment. No
// SQLite connection may be open in this process (the child opens its own).
void sync_store_in_background(const state::Paths& paths);

// chain ID per the OCI image spec: chain(n) = sha256(chain(n-1) + " " + diffid(n)).
std::string chain_id(const std::string& parent_chain, const std::string& diff_id);

}  // namespace skiff::image
