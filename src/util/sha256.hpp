#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace skiff {

// Streaming SHA-256 (OpenSSL EVP). hex() finishes the digest.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    std::string hex();

    static std::string of(std::string_view data);
    // "sha256:<hex>"
    static std::string digest_of(std::string_view data) { return "sha256:" + of(data); }

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace skiff
