// Turning a layer blob into a stored layer: one streaming pass unpacks it,
// hashes it and keeps its bytes for save/push.
#pragma once

#include <string>

#include "image/store.hpp"
#include "layers/compress.hpp"
#include "layers/tar_apply.hpp"

namespace skiff::image {

struct UnpackedLayer {
    std::string tree_tmp;
    std::string blob_tmp;
    layers::StreamDigests digests;  // of the blob as kept (digest) and of the tar (diff_id)
    std::string source_digest;      // of the bytes as they arrived
    uint64_t source_size = 0;       // and how many there were
    std::string blob_media_type;
    bool unsynced = false;  // on disk only once flushed (Store::sync_in_background)
};

// How layers are unpacked into `store`: its storage driver's
// layer_apply_options() (whiteouts in overlay form, with the opaque xattr
// the kernel will read: user.* inside a user namespace; owners kept unless
// we cannot, without subordinate IDs).
layers::ApplyOptions apply_options(Store& store);

// Unpacks `src` into scratch space. A plain tar is kept zstd-compressed; a
// compressed blob is kept as it came, so its digest survives a push.
UnpackedLayer unpack_layer(Store& store, const layers::ReadFn& src, const std::string& expect_digest = "");

// Names the unpacked layer by its place in a chain.
Store::NewLayer finish_layer(UnpackedLayer&& u, const std::string& parent_chain);

// Discards scratch space of layers that were not committed.
void discard(const UnpackedLayer& u);

// True when this process runs in a user namespace that is not the initial one.
bool in_user_namespace();

}  // namespace skiff::image
