// Streaming (de)compression for layer blobs, with the two digests a layer
// needs computed on the way through: the digest of the blob as stored
// (compressed) and the diff ID (sha256 of the uncompressed tar).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "util/sha256.hpp"

namespace skiff::layers {

enum class Compression { None, Gzip, Zstd };
std::string_view compression_name(Compression c);
// Sniffs the magic bytes at the start of a blob.
Compression detect_compression(std::string_view head);

// Pull source: fills up to `len` bytes, returns 0 at the end, throws on error.
using ReadFn = std::function<size_t(char* buf, size_t len)>;
// Push sink: takes all `len` bytes or throws.
using WriteFn = std::function<void(const char* data, size_t len)>;

ReadFn fd_reader(int fd);
WriteFn fd_writer(int fd);

// What the digests of one stream came to.
struct StreamDigests {
    Compression compression = Compression::None;
    std::string digest;            // "sha256:…" of the bytes as stored
    std::string diff_id;           // "sha256:…" of the uncompressed bytes
    uint64_t compressed_size = 0;  // bytes as stored
    uint64_t size = 0;             // uncompressed bytes
};

// Reads a blob in any supported compression and hands out the plain bytes.
// Truncated or corrupt input throws; read() returns 0 only after the
// compressed stream ended cleanly.
class DecompressReader {
public:
    explicit DecompressReader(ReadFn src);
    ~DecompressReader();
    DecompressReader(const DecompressReader&) = delete;
    DecompressReader& operator=(const DecompressReader&) = delete;

    size_t read(char* buf, size_t len);
    // Reads (and hashes) whatever is left, e.g. the tar's trailing padding.
    void drain();
    Compression compression();
    // Valid once read() returned 0 or drain() ran.
    StreamDigests digests();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Runs a DecompressReader on a worker thread and hands out its output in
// blocks, so that inflating and hashing overlap with whatever the consumer
// does (writing files). `src` is called from that thread only.
class BlockPipe {
public:
    explicit BlockPipe(ReadFn src, size_t block_size = 1 << 20, size_t depth = 4);
    ~BlockPipe();
    BlockPipe(const BlockPipe&) = delete;
    BlockPipe& operator=(const BlockPipe&) = delete;

    // The next block (valid until the following call); empty at the end.
    // Rethrows whatever the worker hit (truncated or corrupt input).
    std::string_view next();
    // Consumes the rest of the stream (hashing it) and returns the digests.
    StreamDigests finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct CompressOptions {
    int level = -1;  // the compressor's default
    // Hash the input too (the diff ID). Off when the caller has it already:
    // finish() then leaves diff_id empty.
    bool hash_input = true;
    // zstd: compress on this many threads of its own (0: in the caller's).
    // Any value >= 1 gives the same bytes, so digests stay reproducible.
    int threads = 0;
};

// Compresses into a sink, hashing both sides.
class CompressWriter {
public:
    CompressWriter(WriteFn sink, Compression c, int level = -1);
    CompressWriter(WriteFn sink, Compression c, const CompressOptions& opts);
    ~CompressWriter();
    CompressWriter(const CompressWriter&) = delete;
    CompressWriter& operator=(const CompressWriter&) = delete;

    void write(const char* data, size_t len);
    // Flushes the compressor and its trailer; returns the digests.
    StreamDigests finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::layers
