// A layer blob read straight off the network, for the unpacker to pull
// from. A broken connection is resumed where it stopped (Range request);
// the size is held to the descriptor's. The digest itself is checked by
// the consumer, which hashes every byte anyway.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "registry/repository.hpp"

namespace skiff::registry {

class BlobReader {
public:
    // `on_bytes` sees every chunk's size (progress); `cancel`, when it
    // turns true, makes the next read throw (another layer failed).
    BlobReader(Repository& repo, Descriptor d, std::function<void(uint64_t)> on_bytes,
               const std::atomic<bool>* cancel = nullptr);
    ~BlobReader();

    size_t read(char* buf, size_t len);
    uint64_t offset() const { return offset_; }
    // Why the last read failed ("" when none did): the consumer's own
    // error wraps it in words about tar entries that hide the cause.
    const std::string& failure() const { return failure_; }

private:
    void open();
    size_t read_some(char* buf, size_t len);

    Repository& repo_;
    Descriptor d_;
    std::function<void(uint64_t)> on_bytes_;
    const std::atomic<bool>* cancel_;
    HttpClient client_;
    std::unique_ptr<HttpStream> stream_;
    uint64_t offset_ = 0;
    uint64_t skip_ = 0;  // bytes to drop when a resume got the whole blob again
    int attempts_ = 0;
    std::string failure_;
};

// Downloads a blob again only to hash it: after an unpack failed on
// bytes that did not parse, this tells a corrupt download from a bad image.
std::string fetch_digest(Repository& repo, const Descriptor& d);

}  // namespace skiff::registry
