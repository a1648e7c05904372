#include "layers/compress.hpp"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#ifdef SKIFF_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>
#include <optional>

#include "layers/fsops.hpp"
#include "util/error.hpp"

namespace skiff::layers {

namespace {

constexpr size_t kInputBuffer = 1 << 20;
constexpr size_t kOutputBuffer = 256 << 10;

std::string sha(Sha256& h) { return "sha256:" + h.hex(); }

}  // namespace

std::string_view compression_name(Compression c) {
    switch (c) {
        case Compression::None: return "none";
        case Compression::Gzip: return "gzip";
        case Compression::Zstd: return "zstd";
    }
    return "unknown";
}

Compression detect_compression(std::string_view h) {
    auto at = [&](size_t i) { return static_cast<unsigned char>(h[i]); };
    if (h.size() >= 2 && at(0) == 0x1f && at(1) == 0x8b) return Compression::Gzip;
    if (h.size() >= 4 && at(0) == 0x28 && at(1) == 0xb5 && at(2) == 0x2f && at(3) == 0xfd)
        return Compression::Zstd;
    // Formats Docker once wrote but OCI never allowed: say so instead of
    // failing later with "not a tar archive".
    if (h.size() >= 3 && h.substr(0, 3) == "BZh") throw Error("unsupported layer compression: bzip2");
    if (h.size() >= 6 && h.substr(0, 6) == std::string_view("\xfd" "7zXZ\0", 6))
        throw Error("unsupported layer compression: xz");
    return Compression::None;
}

ReadFn fd_reader(int fd) {
    return [fd](char* buf, size_t len) -> size_t {
        for (;;) {
            ssize_t n = ::read(fd, buf, len);
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR) throw_errno("read layer");
        }
    };
}

WriteFn fd_writer(int fd) {
    return [fd](const char* data, size_t len) { write_all(fd, data, len, "layer"); };
}

// ---------------------------------------------------------------------------

struct DecompressReader::Impl {
    ReadFn src;
    std::unique_ptr<char[]> in{new char[kInputBuffer]};
    size_t in_pos = 0, in_len = 0;
    bool src_eof = false;
    bool detected = false;
    bool done = false;
    Compression comp = Compression::None;
    Sha256 in_hash, out_hash;
    uint64_t in_size = 0, out_size = 0;

    z_stream zs{};
    bool z_ready = false;
    bool gzip_between_members = false;
#ifdef SKIFF_HAVE_ISAL
    std::unique_ptr<inflate_state> isal;  // large: on the heap
#endif

    ZSTD_DStream* zds = nullptr;
    size_t zstd_hint = 0;  // ZSTD_decompressStream's last return: 0 = frame complete
    std::optional<StreamDigests> result;

    ~Impl() {
        if (z_ready) inflateEnd(&zs);
        if (zds) ZSTD_freeDStream(zds);
    }

    size_t avail() const { return in_len - in_pos; }

    // Appends one read from the source to the input buffer (compacting it).
    void fill() {
        if (src_eof) return;
        if (in_pos > 0) {
            std::memmove(in.get(), in.get() + in_pos, avail());
            in_len -= in_pos;
            in_pos = 0;
        }
        if (in_len == kInputBuffer) return;
        size_t n = src(in.get() + in_len, kInputBuffer - in_len);
        if (n == 0) {
            src_eof = true;
            return;
        }
        in_hash.update(in.get() + in_len, n);
        in_size += n;
        in_len += n;
    }

    void detect() {
        while (in_len < 6 && !src_eof) fill();
        comp = detect_compression(std::string_view(in.get(), in_len));
        detected = true;
        if (comp == Compression::Gzip) {
#ifdef SKIFF_HAVE_ISAL
            isal = std::make_unique<inflate_state>();
            isal_inflate_init(isal.get());
            isal->crc_flag = ISAL_GZIP;  // parse the header, verify the CRC
#else
            // 15 + 16: a gzip wrapper only, the largest window.
            if (inflateInit2(&zs, 15 + 16) != Z_OK) throw Error("gzip: cannot initialise inflate");
            z_ready = true;
#endif
        } else if (comp == Compression::Zstd) {
            zds = ZSTD_createDStream();
            if (!zds) throw Error("zstd: cannot create a decompression stream");
            ZSTD_initDStream(zds);
        }
    }

    size_t read_plain(char* buf, size_t len) {
        if (avail() > 0) {
            size_t n = std::min(len, avail());
            std::memcpy(buf, in.get() + in_pos, n);
            in_pos += n;
            return n;
        }
        if (src_eof) return 0;
        // Straight into the caller's buffer: no copy for uncompressed tars.
        size_t n = src(buf, len);
        if (n == 0) src_eof = true;
        in_hash.update(buf, n);
        in_size += n;
        return n;
    }

    // Runs inflate once; true when it made progress.
    bool step_gzip(char* out, size_t out_len, size_t* produced) {
        if (gzip_between_members) {
            if (avail() == 0) return false;
            // Concatenated members (pigz, appended layers) are one stream.
            if (static_cast<unsigned char>(in[in_pos]) != 0x1f)
                throw Error("gzip: unexpected data after the end of the compressed stream");
#ifdef SKIFF_HAVE_ISAL
            isal_inflate_reset(isal.get());
            isal->crc_flag = ISAL_GZIP;
#else
            inflateReset(&zs);
#endif
            gzip_between_members = false;
        }
#ifdef SKIFF_HAVE_ISAL
        return step_isal(out, out_len, produced);
#else
        return step_zlib(out, out_len, produced);
#endif
    }

#ifdef SKIFF_HAVE_ISAL
    bool step_isal(char* out, size_t out_len, size_t* produced) {
        inflate_state* st = isal.get();
        st->next_in = reinterpret_cast<uint8_t*>(in.get() + in_pos);
        st->avail_in = static_cast<uint32_t>(avail());
        st->next_out = reinterpret_cast<uint8_t*>(out + *produced);
        st->avail_out = static_cast<uint32_t>(out_len - *produced);
        int ret = isal_inflate(st);
        size_t used = avail() - st->avail_in;
        size_t made = (out_len - *produced) - st->avail_out;
        in_pos += used;
        *produced += made;
        if (ret < 0)
            throw Error(ret == ISAL_INCORRECT_CHECKSUM ? "corrupt gzip data: incorrect data check"
                                                       : "corrupt gzip data: invalid compressed data (code " +
                                                             std::to_string(ret) + ")");
        if (st->block_state == ISAL_BLOCK_FINISH) {
            gzip_between_members = true;
            return true;
        }
        return used > 0 || made > 0;
    }
#else
    bool step_zlib(char* out, size_t out_len, size_t* produced) {
        zs.next_in = reinterpret_cast<Bytef*>(in.get() + in_pos);
        zs.avail_in = static_cast<uInt>(avail());
        zs.next_out = reinterpret_cast<Bytef*>(out + *produced);
        zs.avail_out = static_cast<uInt>(out_len - *produced);
        int ret = inflate(&zs, Z_NO_FLUSH);
        size_t used = avail() - zs.avail_in;
        size_t made = (out_len - *produced) - zs.avail_out;
        in_pos += used;
        *produced += made;
        if (ret == Z_STREAM_END) {
            gzip_between_members = true;
            return true;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR)
            throw Error(std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "inflate failed"));
        return used > 0 || made > 0;
    }
#endif

    bool step_zstd(char* out, size_t out_len, size_t* produced) {
        ZSTD_inBuffer ib{in.get() + in_pos, avail(), 0};
        ZSTD_outBuffer ob{out, out_len, *produced};
        size_t ret = ZSTD_decompressStream(zds, &ob, &ib);
        if (ZSTD_isError(ret)) throw Error(std::string("corrupt zstd data: ") + ZSTD_getErrorName(ret));
        in_pos += ib.pos;
        bool progress = ib.pos > 0 || ob.pos > *produced;
        // An idle call after a finished frame asks for the next header;
        // only a call that did something says where the stream stands.
        if (progress) zstd_hint = ret;
        *produced = ob.pos;
        return progress;
    }

    bool at_clean_end() const {
        if (comp == Compression::Gzip) return gzip_between_members;
        return zstd_hint == 0;
    }

    size_t read_compressed(char* buf, size_t len) {
        size_t produced = 0;
        while (produced < len && !done) {
            if (avail() == 0) fill();
            bool progress = comp == Compression::Gzip ? step_gzip(buf, len, &produced)
                                                      : step_zstd(buf, len, &produced);
            if (!progress && avail() == 0 && src_eof) {
                if (!at_clean_end())
                    throw Error(std::string(compression_name(comp)) +
                                ": unexpected end of data (truncated layer)");
                done = true;
            }
        }
        return produced;
    }

    size_t read(char* buf, size_t len) {
        if (!detected) detect();
        if (done || len == 0) return 0;
        size_t n = comp == Compression::None ? read_plain(buf, len) : read_compressed(buf, len);
        if (n == 0) {
            done = true;
            return 0;
        }
        if (comp != Compression::None) out_hash.update(buf, n);
        out_size += n;
        return n;
    }
};

DecompressReader::DecompressReader(ReadFn src) : impl_(std::make_unique<Impl>()) {
    impl_->src = std::move(src);
}
DecompressReader::~DecompressReader() = default;

size_t DecompressReader::read(char* buf, size_t len) { return impl_->read(buf, len); }

void DecompressReader::drain() {
    std::unique_ptr<char[]> buf(new char[kOutputBuffer]);
    while (impl_->read(buf.get(), kOutputBuffer) > 0) {
    }
}

Compression DecompressReader::compression() {
    if (!impl_->detected) impl_->detect();
    return impl_->comp;
}

StreamDigests DecompressReader::digests() {
    // Sha256::hex() finalises, so the result is computed once and kept.
    if (impl_->result) return *impl_->result;
    StreamDigests d;
    d.compression = impl_->comp;
    d.compressed_size = impl_->in_size;
    d.size = impl_->out_size;
    d.digest = sha(impl_->in_hash);
    d.diff_id = impl_->comp == Compression::None ? d.digest : sha(impl_->out_hash);
    impl_->result = d;
    return d;
}

// ---------------------------------------------------------------------------

struct BlockPipe::Impl {
    DecompressReader reader;
    size_t block_size;
    std::vector<std::unique_ptr<char[]>> storage;

    std::mutex mu;
    std::condition_variable cv;
    std::vector<char*> free_blocks;
    std::deque<std::pair<char*, size_t>> full;
    char* held = nullptr;  // the block the consumer is reading
    bool ended = false;    // the worker is done (end of stream or error)
    bool stop = false;     // the consumer gave up
    std::exception_ptr error;
    StreamDigests digests;
    std::thread worker;

    Impl(ReadFn src, size_t bs, size_t depth) : reader(std::move(src)), block_size(bs) {
        for (size_t i = 0; i < depth; ++i) {
            storage.emplace_back(new char[bs]);
            free_blocks.push_back(storage.back().get());
        }
        worker = std::thread([this] { run(); });
    }

    ~Impl() {
        {
            std::lock_guard lk(mu);
            stop = true;
        }
        cv.notify_all();
        worker.join();
    }

    void run() {
        try {
            for (;;) {
                char* buf;
                {
                    std::unique_lock lk(mu);
                    cv.wait(lk, [&] { return stop || !free_blocks.empty(); });
                    if (stop) break;
                    buf = free_blocks.back();
                    free_blocks.pop_back();
                }
                size_t n = reader.read(buf, block_size);
                std::lock_guard lk(mu);
                if (n == 0) {
                    free_blocks.push_back(buf);
                    digests = reader.digests();
                    break;
                }
                full.emplace_back(buf, n);
                cv.notify_all();
            }
        } catch (...) {
            std::lock_guard lk(mu);
            error = std::current_exception();
        }
        std::lock_guard lk(mu);
        ended = true;
        cv.notify_all();
    }

    std::string_view next() {
        std::unique_lock lk(mu);
        if (held) {
            free_blocks.push_back(held);
            held = nullptr;
            cv.notify_all();
        }
        cv.wait(lk, [&] { return !full.empty() || ended; });
        if (!full.empty()) {
            auto [buf, n] = full.front();
            full.pop_front();
            held = buf;
            return {buf, n};
        }
        if (error) std::rethrow_exception(error);
        return {};
    }
};

BlockPipe::BlockPipe(ReadFn src, size_t block_size, size_t depth)
    : impl_(std::make_unique<Impl>(std::move(src), block_size, depth)) {}
BlockPipe::~BlockPipe() = default;

std::string_view BlockPipe::next() { return impl_->next(); }

StreamDigests BlockPipe::finish() {
    while (!impl_->next().empty()) {
    }
    std::lock_guard lk(impl_->mu);
    return impl_->digests;
}

// ---------------------------------------------------------------------------

struct CompressWriter::Impl {
    WriteFn sink;
    Compression comp;
    Sha256 in_hash, out_hash;
    bool hash_input = true;
    uint64_t in_size = 0, out_size = 0;
    std::unique_ptr<char[]> out{new char[kOutputBuffer]};
    z_stream zs{};
    bool z_ready = false;
    ZSTD_CCtx* zc = nullptr;
    std::optional<StreamDigests> result;

    ~Impl() {
        if (z_ready) deflateEnd(&zs);
        if (zc) ZSTD_freeCCtx(zc);
    }

    void emit(const char* data, size_t n) {
        if (n == 0) return;
        out_hash.update(data, n);
        out_size += n;
        sink(data, n);
    }

    void deflate_some(const char* data, size_t len, int flush) {
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
        zs.avail_in = static_cast<uInt>(len);
        for (;;) {
            zs.next_out = reinterpret_cast<Bytef*>(out.get());
            zs.avail_out = static_cast<uInt>(kOutputBuffer);
            int ret = deflate(&zs, flush);
            if (ret == Z_STREAM_ERROR) throw Error("gzip: deflate failed");
            emit(out.get(), kOutputBuffer - zs.avail_out);
            if (flush == Z_FINISH ? ret == Z_STREAM_END : zs.avail_in == 0 && zs.avail_out != 0) break;
        }
    }

    void zstd_some(const char* data, size_t len, ZSTD_EndDirective mode) {
        ZSTD_inBuffer ib{data, len, 0};
        for (;;) {
            ZSTD_outBuffer ob{out.get(), kOutputBuffer, 0};
            size_t left = ZSTD_compressStream2(zc, &ob, &ib, mode);
            if (ZSTD_isError(left)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(left));
            emit(out.get(), ob.pos);
            if (mode == ZSTD_e_end ? left == 0 : ib.pos == ib.size) break;
        }
    }
};

CompressWriter::CompressWriter(WriteFn sink, Compression c, int level)
    : CompressWriter(std::move(sink), c, CompressOptions{.level = level}) {}

CompressWriter::CompressWriter(WriteFn sink, Compression c, const CompressOptions& opts)
    : impl_(std::make_unique<Impl>()) {
    const int level = opts.level;
    impl_->sink = std::move(sink);
    impl_->comp = c;
    impl_->hash_input = opts.hash_input;
    if (c == Compression::Gzip) {
        if (deflateInit2(&impl_->zs, level < 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            throw Error("gzip: cannot initialise deflate");
        impl_->z_ready = true;
    } else if (c == Compression::Zstd) {
        impl_->zc = ZSTD_createCCtx();
        if (!impl_->zc) throw Error("zstd: cannot create a compression context");
        if (level >= 0) ZSTD_CCtx_setParameter(impl_->zc, ZSTD_c_compressionLevel, level);
        // A libzstd built without threads refuses: it then compresses here.
        if (opts.threads > 0) ZSTD_CCtx_setParameter(impl_->zc, ZSTD_c_nbWorkers, opts.threads);
    }
}
CompressWriter::~CompressWriter() = default;

void CompressWriter::write(const char* data, size_t len) {
    if (len == 0) return;
    if (impl_->hash_input) impl_->in_hash.update(data, len);
    impl_->in_size += len;
    switch (impl_->comp) {
        case Compression::None:
            // Stored as is: its digest is the input's, hashed on one side only.
            if (impl_->hash_input) impl_->sink(data, len);
            else impl_->emit(data, len);
            break;
        case Compression::Gzip: impl_->deflate_some(data, len, Z_NO_FLUSH); break;
        case Compression::Zstd: impl_->zstd_some(data, len, ZSTD_e_continue); break;
    }
}

StreamDigests CompressWriter::finish() {
    if (impl_->result) return *impl_->result;
    if (impl_->comp == Compression::Gzip) impl_->deflate_some(nullptr, 0, Z_FINISH);
    if (impl_->comp == Compression::Zstd) impl_->zstd_some(nullptr, 0, ZSTD_e_end);
    StreamDigests d;
    d.compression = impl_->comp;
    d.size = impl_->in_size;
    if (impl_->hash_input) d.diff_id = sha(impl_->in_hash);
    if (impl_->comp == Compression::None) {
        d.digest = impl_->hash_input ? d.diff_id : sha(impl_->out_hash);
        d.compressed_size = d.size;
    } else {
        d.digest = sha(impl_->out_hash);
        d.compressed_size = impl_->out_size;
    }
    impl_->result = d;
    return d;
}

}  // namespace skiff::layers
