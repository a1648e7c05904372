#include "registry/recompress.hpp"

#include <cstring>

namespace skiff::registry {

namespace {
constexpr size_t kBlock = 1 << 20;
}

Recompressor::Recompressor(layers::ReadFn src, layers::Compression target)
    : in_(std::move(src)), buf_(new char[kBlock]) {
    writer_ = std::make_unique<layers::CompressWriter>(
        [this](const char* data, size_t len) { out_.append(data, len); }, target);
}

Recompressor::~Recompressor() = default;

size_t Recompressor::read(char* buf, size_t len) {
    while (out_pos_ == out_.size()) {
        if (finished_) return 0;
        out_.clear();
        out_pos_ = 0;
        size_t n = in_.read(buf_.get(), kBlock);
        if (n == 0) {
            digests_ = writer_->finish();
            finished_ = true;
        } else {
            writer_->write(buf_.get(), n);
        }
    }
    size_t n = std::min(len, out_.size() - out_pos_);
    std::memcpy(buf, out_.data() + out_pos_, n);
    out_pos_ += n;
    return n;
}

}  // namespace skiff::registry
