// Helpers shared by the [layers] tests: archives crafted in memory with
// libarchive's write API, scratch directories, and a member-by-member view
// of a tar for comparisons.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "layers/compress.hpp"
#include "layers/fsops.hpp"
#include "layers/tar_apply.hpp"
#include "util/sha256.hpp"

namespace layers_test {

inline bool is_root() { return ::geteuid() == 0; }

// Apply options for tests: no fsync, no warnings, the opaque xattr an
// unprivileged user can set.
inline skiff::layers::ApplyOptions quiet(skiff::layers::WhiteoutMode mode = skiff::layers::WhiteoutMode::Overlay) {
    skiff::layers::ApplyOptions o;
    o.whiteouts = mode;
    o.opaque_xattr = skiff::layers::kOpaqueXattrUserns;
    o.sync = false;
    o.warn = [](const std::string&) {};
    return o;
}

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/skiff-layers-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        try {
            skiff::layers::remove_tree(path_);
        } catch (...) {
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

struct Sparse {
    int64_t offset;
    std::string data;
};

struct Opts {
    unsigned mode = 0;  // 0: the type's default
    int64_t uid = -1, gid = -1;
    int64_t mtime = 1600000000;
    std::vector<std::pair<std::string, std::string>> xattrs = {};
};

// Builds a tar in memory. Owners default to the caller's ids so that the
// archives apply as any user.
class TarBuilder {
public:
    TarBuilder() {
        a_ = archive_write_new();
        archive_write_set_format_pax_restricted(a_);
        archive_write_set_bytes_in_last_block(a_, 1);
        archive_write_open2(a_, &out_, nullptr, write_cb, nullptr, nullptr);
    }
    ~TarBuilder() { archive_write_free(a_); }
    TarBuilder(const TarBuilder&) = delete;
    TarBuilder& operator=(const TarBuilder&) = delete;

    TarBuilder& file(const std::string& path, const std::string& content, Opts o = {}) {
        auto* e = start(path, AE_IFREG, o.mode ? o.mode : 0644, o);
        archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
        header(e);
        if (!content.empty()) archive_write_data(a_, content.data(), content.size());
        archive_entry_free(e);
        return *this;
    }
    TarBuilder& dir(const std::string& path, Opts o = {}) {
        return simple(start(path, AE_IFDIR, o.mode ? o.mode : 0755, o));
    }
    TarBuilder& symlink(const std::string& path, const std::string& target, Opts o = {}) {
        auto* e = start(path, AE_IFLNK, 0777, o);
        archive_entry_set_symlink(e, target.c_str());
        return simple(e);
    }
    TarBuilder& hardlink(const std::string& path, const std::string& target, Opts o = {}) {
        auto* e = start(path, AE_IFREG, o.mode ? o.mode : 0644, o);
        archive_entry_set_hardlink(e, target.c_str());
        return simple(e);
    }
    TarBuilder& chardev(const std::string& path, unsigned maj, unsigned min, Opts o = {}) {
        auto* e = start(path, AE_IFCHR, o.mode ? o.mode : 0666, o);
        archive_entry_set_rdevmajor(e, maj);
        archive_entry_set_rdevminor(e, min);
        return simple(e);
    }
    TarBuilder& fifo(const std::string& path, Opts o = {}) {
        return simple(start(path, AE_IFIFO, o.mode ? o.mode : 0644, o));
    }
    // A sparse member: `size` bytes, data only at the given places.
    TarBuilder& sparse(const std::string& path, int64_t size, const std::vector<Sparse>& parts,
                       Opts o = {}) {
        auto* e = start(path, AE_IFREG, 0644, o);
        archive_entry_set_size(e, size);
        for (const auto& p : parts)
            archive_entry_sparse_add_entry(e, p.offset, static_cast<la_int64_t>(p.data.size()));
        header(e);
        // The writer takes the logical stream and drops the holes.
        std::string logical(static_cast<size_t>(size), '\0');
        for (const auto& p : parts) logical.replace(static_cast<size_t>(p.offset), p.data.size(), p.data);
        archive_write_data(a_, logical.data(), logical.size());
        archive_entry_free(e);
        return *this;
    }
    std::string finish() {
        archive_write_close(a_);
        return out_;
    }

private:
    static la_ssize_t write_cb(struct archive*, void* out, const void* buf, size_t len) {
        static_cast<std::string*>(out)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
    }
    struct archive_entry* start(const std::string& path, unsigned type, unsigned mode, const Opts& o) {
        auto* e = archive_entry_new();
        archive_entry_set_pathname(e, path.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, mode);
        archive_entry_set_uid(e, o.uid >= 0 ? o.uid : ::geteuid());
        archive_entry_set_gid(e, o.gid >= 0 ? o.gid : ::getegid());
        archive_entry_set_mtime(e, o.mtime, 0);
        for (const auto& [k, v] : o.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
        return e;
    }
    void header(struct archive_entry* e) {
        // WARN: a name outside the locale, stored as raw bytes (hdrcharset=BINARY).
        int r = archive_write_header(a_, e);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            throw std::runtime_error(std::string("tar builder: ") + archive_error_string(a_));
    }
    TarBuilder& simple(struct archive_entry* e) {
        archive_entry_set_size(e, 0);
        header(e);
        archive_entry_free(e);
        return *this;
    }

    struct archive* a_;
    std::string out_;
};

inline std::string compress(const std::string& plain, skiff::layers::Compression c) {
    std::string out;
    skiff::layers::CompressWriter w([&](const char* d, size_t n) { out.append(d, n); }, c);
    w.write(plain.data(), plain.size());
    w.finish();
    return out;
}

// A ReadFn over a string, handing out at most `chunk` bytes per call.
inline skiff::layers::ReadFn string_reader(std::string data, size_t chunk = 1 << 16) {
    auto state = std::make_shared<std::pair<std::string, size_t>>(std::move(data), 0);
    return [state, chunk](char* buf, size_t len) -> size_t {
        size_t n = std::min({len, chunk, state->first.size() - state->second});
        std::memcpy(buf, state->first.data() + state->second, n);
        state->second += n;
        return n;
    };
}

inline std::string sha(const std::string& s) { return "sha256:" + skiff::Sha256::of(s); }

inline std::string slurp(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out;
}

inline void spit(const std::string& path, const std::string& content, mode_t mode = 0644) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("create " + path + ": " + std::strerror(errno));
    skiff::layers::write_all(fd, content.data(), content.size(), path);
    ::close(fd);
}

inline bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

inline struct stat lstat_of(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) < 0) throw std::runtime_error("lstat " + path + ": " + std::strerror(errno));
    return st;
}

// One tar member, reduced to what a round trip must keep.
struct Member {
    std::string name;  // no trailing slash
    unsigned type = 0;
    unsigned perm = 0;
    int64_t uid = 0, gid = 0;
    int64_t mtime = 0;
    int64_t size = 0;
    std::string link;     // hard link target
    std::string symlink;  // symlink target
    std::string content_sha;
    std::vector<std::pair<std::string, std::string>> xattrs;
    bool operator==(const Member&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Member& m) {
    os << "\n  {" << m.name << " type=" << std::oct << m.type << " perm=" << m.perm << std::dec << " " << m.uid
       << ":" << m.gid << " mtime=" << m.mtime << " size=" << m.size;
    if (!m.link.empty()) os << " link=" << m.link;
    if (!m.symlink.empty()) os << " symlink=" << m.symlink;
    if (!m.content_sha.empty()) os << " sha=" << m.content_sha.substr(0, 8);
    for (const auto& [k, v] : m.xattrs) os << " " << k << "=" << v;
    return os << "}";
}

inline std::vector<Member> members(const std::string& tar) {
    std::vector<Member> out;
    struct archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_format_empty(a);
    archive_read_support_filter_all(a);
    if (archive_read_open_memory(a, tar.data(), tar.size()) != ARCHIVE_OK)
        throw std::runtime_error(archive_error_string(a));
    struct archive_entry* e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        Member m;
        m.name = archive_entry_pathname(e);
        while (m.name.size() > 1 && m.name.back() == '/') m.name.pop_back();
        if (m.name.starts_with("./")) m.name = m.name.substr(2);
        m.type = archive_entry_filetype(e);
        m.perm = archive_entry_perm(e);
        m.uid = archive_entry_uid(e);
        m.gid = archive_entry_gid(e);
        m.mtime = archive_entry_mtime(e);
        if (const char* h = archive_entry_hardlink(e)) m.link = h;
        if (const char* s = archive_entry_symlink(e)) m.symlink = s;
        if (m.link.empty()) m.size = archive_entry_size(e);
        std::string content;
        const void* buf;
        size_t len;
        la_int64_t off;
        while (archive_read_data_block(a, &buf, &len, &off) == ARCHIVE_OK) {
            if (static_cast<size_t>(off) > content.size()) content.resize(static_cast<size_t>(off));
            content.append(static_cast<const char*>(buf), len);
        }
        content.resize(static_cast<size_t>(std::max<int64_t>(m.size, 0)));
        if (m.type == AE_IFREG && m.link.empty()) m.content_sha = skiff::Sha256::of(content);
        if (archive_entry_xattr_reset(e) > 0) {
            const char* k;
            const void* v;
            size_t n;
            while (archive_entry_xattr_next(e, &k, &v, &n) == ARCHIVE_OK)
                m.xattrs.emplace_back(k, std::string(static_cast<const char*>(v), n));
            // pax "ALL" headers carry each xattr twice (LIBARCHIVE. and SCHILY.).
            std::sort(m.xattrs.begin(), m.xattrs.end());
            m.xattrs.erase(std::unique(m.xattrs.begin(), m.xattrs.end()), m.xattrs.end());
        }
        out.push_back(std::move(m));
    }
    std::string err = r == ARCHIVE_EOF ? "" : archive_error_string(a);
    archive_read_free(a);
    if (!err.empty()) throw std::runtime_error("read tar: " + err);
    return out;
}

inline std::vector<std::string> names(const std::vector<Member>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.name);
    return out;
}

}  // namespace layers_test
