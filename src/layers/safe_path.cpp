#include "layers/safe_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "util/error.hpp"

namespace skiff::layers {

std::vector<std::string> clean_components(std::string_view name) {
    if (!name.empty() && name.front() == '/')
        throw Error("refusing absolute path \"" + printable(name) + "\"");
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t slash = name.find('/', pos);
        if (slash == std::string_view::npos) slash = name.size();
        std::string_view comp = name.substr(pos, slash - pos);
        pos = slash + 1;
        if (comp.empty() || comp == ".") continue;
        if (comp == "..") {
            // A lexical pop is safe because no component is ever followed as
            // a symlink; climbing above the root is an attack, not a typo.
            if (out.empty())
                throw Error("refusing path \"" + printable(name) + "\": it escapes the root");
            out.pop_back();
            continue;
        }
        out.emplace_back(comp);
    }
    return out;
}

std::string printable(std::string_view name) {
    constexpr size_t kMax = 200;
    std::string out;
    for (char ch : name.substr(0, kMax)) out += static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f ? '?' : ch;
    if (name.size() > kMax) out += "...";
    return out;
}

std::string join_components(const std::vector<std::string>& comps, size_t n) {
    std::string out;
    for (size_t i = 0; i < n && i < comps.size(); ++i) {
        if (i) out += '/';
        out += comps[i];
    }
    return out;
}

UniqueFd open_dir_nofollow(int dirfd, const std::string& name, const std::string& what, int flags) {
    UniqueFd fd(::openat(dirfd, name.c_str(), flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd) return fd;
    int err = errno;
    if (err == ENOENT) return fd;
    if (err == ENOTDIR || err == ELOOP) {
        struct stat st;
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            throw Error("refusing path \"" + printable(what) + "\": it traverses the symlink \"" + printable(name) + "\"");
        throw Error("\"" + printable(what) + "\": \"" + printable(name) + "\" is not a directory");
    }
    throw_errno("open " + what, err);
}

void DirWalker::truncate(size_t depth) {
    if (depth < names_.size()) {
        names_.resize(depth);
        fds_.resize(depth);
    }
}

int DirWalker::open_step(int parent, const std::vector<std::string>& comps, size_t i, bool create,
                         bool* created) {
    const std::string& name = comps[i];
    UniqueFd fd = open_dir_nofollow(parent, name, join_components(comps, i + 1));
    if (!fd) {
        if (!create) return -1;
        if (::mkdirat(parent, name.c_str(), 0755) < 0 && errno != EEXIST)
            throw_errno("mkdir " + join_components(comps, i + 1));
        *created = true;
        fd = open_dir_nofollow(parent, name, join_components(comps, i + 1));
        if (!fd) throw Error("mkdir " + join_components(comps, i + 1) + ": vanished");
    }
    names_.push_back(name);
    fds_.push_back(std::move(fd));
    return fds_.back().get();
}

}  // namespace skiff::layers
