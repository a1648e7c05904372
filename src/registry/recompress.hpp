// A stored layer blob handed out in another compression (a zstd-stored
// layer pushed as gzip, or the reverse), hashing what comes out so the
// digest is known once the last byte is read.
#pragma once

#include <memory>
#include <string>

#include "layers/compress.hpp"

namespace skiff::registry {

class Recompressor {
public:
    Recompressor(layers::ReadFn src, layers::Compression target);
    ~Recompressor();
    Recompressor(const Recompressor&) = delete;
    Recompressor& operator=(const Recompressor&) = delete;

    size_t read(char* buf, size_t len);
    // Of the output; valid once read() returned 0.
    const layers::StreamDigests& digests() const { return digests_; }

private:
    layers::DecompressReader in_;
    std::string out_;
    size_t out_pos_ = 0;
    std::unique_ptr<layers::CompressWriter> writer_;
    std::unique_ptr<char[]> buf_;
    bool finished_ = false;
    layers::StreamDigests digests_;
};

}  // namespace skiff::registry
