#include "layers/layer_stack.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <unordered_set>

#include "layers/fsops.hpp"
#include "layers/safe_path.hpp"
#include "util/error.hpp"

namespace skiff::layers {

bool is_opaque_dir(int dir_fd) {
    if (dir_has_opaque_xattr(dir_fd)) return true;
    struct stat st;
    return ::fstatat(dir_fd, std::string(kOpaqueMarker).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

MergedDir MergedDir::open_stack(const std::vector<std::string>& layers) {
    MergedDir d;
    size_t index = 0;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it, ++index) {
        auto fd = std::make_shared<UniqueFd>(::open(it->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!*fd) throw_errno("open layer " + *it);
        d.layers_.push_back({fd->get(), index});
        d.owned_.push_back(std::move(fd));
        // Opacity at a layer's root hides every lower layer.
        if (is_opaque_dir(d.layers_.back().fd)) break;
    }
    return d;
}

std::vector<MergedEntry> MergedDir::list() const {
    std::vector<MergedEntry> out;
    std::unordered_set<std::string> seen;  // claimed or deleted by a higher layer
    for (const auto& layer : layers_) {
        std::vector<std::string> hides;  // a whiteout acts on lower layers only
        for (auto& name : list_dir(layer.fd)) {
            if (name == kOpaqueMarker) continue;
            if (name.starts_with(kWhiteoutPrefix)) {
                hides.push_back(name.substr(kWhiteoutPrefix.size()));
                continue;
            }
            if (seen.count(name)) continue;
            struct stat st;
            if (::fstatat(layer.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT) continue;
                throw_errno("stat " + name);
            }
            seen.insert(name);
            if (is_whiteout_stat(st)) continue;
            out.push_back({std::move(name), st, layer.fd, layer.index});
        }
        for (auto& h : hides) seen.insert(std::move(h));
    }
    std::sort(out.begin(), out.end(),
              [](const MergedEntry& a, const MergedEntry& b) { return a.name < b.name; });
    return out;
}

MergedDir MergedDir::child(const std::string& name) const {
    MergedDir d;
    const std::string wh = std::string(kWhiteoutPrefix) + name;
    for (const auto& layer : layers_) {
        struct stat st;
        if (::fstatat(layer.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) throw_errno("stat " + name);
            if (::fstatat(layer.fd, wh.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) break;
            continue;
        }
        // A whiteout or a non-directory hides the name in every lower layer.
        if (!S_ISDIR(st.st_mode)) break;
        auto fd = std::make_shared<UniqueFd>(
            ::openat(layer.fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!*fd) throw_errno("open " + name);
        d.layers_.push_back({fd->get(), layer.index});
        d.owned_.push_back(std::move(fd));
        if (is_opaque_dir(d.layers_.back().fd)) break;
    }
    return d;
}

}  // namespace skiff::layers
