#include "layers/tar_diff.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <iterator>
#include <map>
#include <memory>

#include "layers/fsops.hpp"
#include "layers/layer_stack.hpp"
#include "layers/safe_path.hpp"
#include "util/error.hpp"

namespace skiff::layers {

char change_letter(ChangeKind k) {
    switch (k) {
        case ChangeKind::Added: return 'A';
        case ChangeKind::Changed: return 'C';
        case ChangeKind::Deleted: return 'D';
    }
    return '?';
}

namespace {

constexpr size_t kChunk = 1 << 20;

std::string child_path(const std::string& rel, const std::string& name) {
    return rel.empty() ? name : rel + "/" + name;
}

std::string read_link_at(int dirfd, const std::string& name) {
    std::string buf(256, '\0');
    for (;;) {
        ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
        if (n < 0) throw_errno("readlink " + name);
        if (static_cast<size_t>(n) < buf.size()) {
            buf.resize(static_cast<size_t>(n));
            return buf;
        }
        buf.resize(buf.size() * 4);
    }
}

Xattrs layer_xattrs(Xattrs xs) {
    std::erase_if(xs, [](const auto& kv) { return is_private_xattr(kv.first) || is_host_xattr(kv.first); });
    return xs;
}

// Writes members through libarchive (pax where needed, ustar otherwise) into
// a CompressWriter, which hashes both sides.
class TarWriter {
public:
    TarWriter(const WriteFn& sink, const DiffOptions& opts)
        : cw_(sink, opts.compression, opts.level), buf_(new char[kChunk]) {
        a_ = archive_write_new();
        e_ = archive_entry_new();
        if (!a_ || !e_) throw Error("write layer: out of memory");
        archive_write_set_format_pax_restricted(a_);
        // SCHILY.xattr.* is what Go's archive/tar (Docker, containerd) reads.
        archive_write_set_option(a_, "pax", "xattrheader", "SCHILY");
        archive_write_set_bytes_in_last_block(a_, 1);
        if (archive_write_open2(a_, this, nullptr, write_cb, nullptr, nullptr) != ARCHIVE_OK) fail("open");
    }
    ~TarWriter() {
        archive_entry_free(e_);
        archive_write_free(a_);
    }
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    // The file dirfd/name (already lstat'ed into st) as member `path`.
    void add(const std::string& path, int dirfd, const std::string& name, const struct stat& st);
    // An OCI whiteout member (".wh.NAME" or ".wh..wh..opq") with the given
    // owner and time; perms 0.
    void add_marker(const std::string& path, const struct stat* like);
    StreamDigests finish() {
        if (archive_write_close(a_) != ARCHIVE_OK) fail("close");
        return cw_.finish();
    }
    uint64_t entries() const { return entries_; }

private:
    static la_ssize_t write_cb(struct archive*, void* self, const void* buf, size_t len) {
        auto* w = static_cast<TarWriter*>(self);
        try {
            w->cw_.write(static_cast<const char*>(buf), len);
            return static_cast<la_ssize_t>(len);
        } catch (...) {
            w->error_ = std::current_exception();
            return -1;
        }
    }
    [[noreturn]] void fail(const std::string& what) {
        if (error_) std::rethrow_exception(error_);
        const char* msg = archive_error_string(a_);
        throw Error("write layer: " + what + ": " + (msg ? msg : "failed"));
    }
    void write_header(const std::string& path) {
        // ARCHIVE_WARN: a name the locale cannot express in UTF-8; libarchive
        // then stores its bytes as they are (pax hdrcharset=BINARY).
        int r = archive_write_header(a_, e_);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail(path);
        ++entries_;
    }
    void write_data(const char* data, size_t len, const std::string& path) {
        while (len > 0) {
            la_ssize_t n = archive_write_data(a_, data, len);
            if (n < 0) fail(path);
            data += n;
            len -= static_cast<size_t>(n);
        }
    }
    void copy_contents(int fd, const struct stat& st, const std::string& path);

    CompressWriter cw_;
    struct archive* a_ = nullptr;
    struct archive_entry* e_ = nullptr;
    std::unique_ptr<char[]> buf_;
    std::unique_ptr<char[]> zeros_;
    std::exception_ptr error_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
    uint64_t entries_ = 0;
};

void TarWriter::add(const std::string& path, int dirfd, const std::string& name, const struct stat& st) {
    archive_entry_clear(e_);
    archive_entry_set_pathname(e_, path.c_str());
    archive_entry_set_mode(e_, st.st_mode);
    archive_entry_set_uid(e_, st.st_uid);
    archive_entry_set_gid(e_, st.st_gid);
    archive_entry_set_mtime(e_, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);

    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        auto [it, first] = links_.emplace(std::make_pair(st.st_dev, st.st_ino), path);
        if (!first) {
            archive_entry_set_hardlink(e_, it->second.c_str());
            archive_entry_set_size(e_, 0);
            write_header(path);
            return;
        }
    }
    UniqueFd fd;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
        fd.reset(::openat(dirfd, name.c_str(), flags));
        if (!fd) throw_errno("open " + path);
    }
    Xattrs xs = layer_xattrs(fd ? read_xattrs_fd(fd.get()) : read_xattrs_at(dirfd, name));
    for (const auto& [k, v] : xs) archive_entry_xattr_add_entry(e_, k.c_str(), v.data(), v.size());

    if (S_ISLNK(st.st_mode)) archive_entry_set_symlink(e_, read_link_at(dirfd, name).c_str());
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) archive_entry_set_rdev(e_, st.st_rdev);
    if (!S_ISREG(st.st_mode)) {
        archive_entry_set_size(e_, 0);
        write_header(path);
        return;
    }
    archive_entry_set_size(e_, st.st_size);
    copy_contents(fd.get(), st, path);
}

void TarWriter::copy_contents(int fd, const struct stat& st, const std::string& path) {
    // Sparse files (fewer blocks than bytes) keep their holes: map the data
    // with SEEK_DATA/SEEK_HOLE and let the pax writer store only that.
    std::vector<std::pair<off_t, off_t>> data;  // offset, length
    bool sparse = false;
    if (st.st_size > 0 && st.st_blocks * 512 < st.st_size) {
        off_t off = 0;
        while (off < st.st_size) {
            off_t d = ::lseek(fd, off, SEEK_DATA);
            if (d < 0) break;  // ENXIO: only a hole is left
            off_t h = ::lseek(fd, d, SEEK_HOLE);
            if (h < 0) h = st.st_size;
            h = std::min<off_t>(h, st.st_size);
            data.emplace_back(d, h - d);
            off = h;
        }
        sparse = !(data.size() == 1 && data[0].first == 0 && data[0].second == st.st_size);
        if (::lseek(fd, 0, SEEK_SET) < 0) throw_errno("seek " + path);
    }
    if (sparse) {
        if (data.empty()) data.emplace_back(st.st_size, 0);
        for (auto [off, len] : data) archive_entry_sparse_add_entry(e_, off, len);
    } else {
        data.assign(1, {0, st.st_size});
    }
    write_header(path);

    // The pax writer wants the logical stream, holes included (it drops
    // them); file size changes while we read are padded/cut to the header.
    off_t pos = 0;
    auto zero_fill = [&](off_t upto) {
        if (!zeros_) zeros_.reset(new char[kChunk]());
        while (pos < upto) {
            size_t n = static_cast<size_t>(std::min<off_t>(upto - pos, kChunk));
            write_data(zeros_.get(), n, path);
            pos += static_cast<off_t>(n);
        }
    };
    for (auto [off, len] : data) {
        zero_fill(off);
        off_t end = off + len;
        while (pos < end) {
            size_t want = static_cast<size_t>(std::min<off_t>(end - pos, kChunk));
            ssize_t n = ::pread(fd, buf_.get(), want, pos);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("read " + path);
            }
            if (n == 0) break;  // shrank under us
            write_data(buf_.get(), static_cast<size_t>(n), path);
            pos += n;
        }
    }
    zero_fill(st.st_size);
}

void TarWriter::add_marker(const std::string& path, const struct stat* like) {
    archive_entry_clear(e_);
    archive_entry_set_pathname(e_, path.c_str());
    archive_entry_set_mode(e_, AE_IFREG | 0);
    archive_entry_set_size(e_, 0);
    if (like) {
        archive_entry_set_uid(e_, like->st_uid);
        archive_entry_set_gid(e_, like->st_gid);
        archive_entry_set_mtime(e_, like->st_mtim.tv_sec, like->st_mtim.tv_nsec);
    } else {
        archive_entry_set_mtime(e_, 0, 0);
    }
    write_header(path);
}

// Shared state of a diff run: the optional tar and the change list.
struct Diff {
    std::unique_ptr<TarWriter> tar;
    std::vector<Change> changes;

    std::function<bool(const std::string&, const struct stat&, ChangeKind)> skip;

    Diff(const WriteFn& sink, const DiffOptions& opts) : skip(opts.skip) {
        if (sink) tar = std::make_unique<TarWriter>(sink, opts);
    }
    void change(const std::string& rel, ChangeKind k) { changes.push_back({"/" + rel, k}); }
    void add(const std::string& rel, int dirfd, const std::string& name, const struct stat& st,
             ChangeKind k) {
        if (skip && !S_ISDIR(st.st_mode) && skip("/" + rel, st, k)) return;
        change(rel, k);
        if (tar) tar->add(rel, dirfd, name, st);
    }
    void marker(const std::string& rel, const struct stat* like) {
        if (tar) tar->add_marker(rel, like);
    }
    DiffResult finish() {
        DiffResult r;
        if (tar) {
            static_cast<StreamDigests&>(r) = tar->finish();
            r.entries = tar->entries();
        }
        std::sort(changes.begin(), changes.end(),
                  [](const Change& a, const Change& b) { return a.path < b.path; });
        r.changes = std::move(changes);
        return r;
    }
};

struct stat lstat_at(int dirfd, const std::string& name) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("stat " + name);
    return st;
}

UniqueFd open_subdir(int dirfd, const std::string& name) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + name);
    return fd;
}

UniqueFd open_root(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno("open " + dir);
    return fd;
}

// --- (a) a whole tree -------------------------------------------------------

void walk_tree(Diff& d, int dirfd, const std::string& rel) {
    for (const auto& name : list_dir(dirfd)) {
        std::string path = child_path(rel, name);
        struct stat st = lstat_at(dirfd, name);
        d.add(path, dirfd, name, st, ChangeKind::Added);
        if (S_ISDIR(st.st_mode)) walk_tree(d, open_subdir(dirfd, name).get(), path);
    }
}

// --- (b) an overlay upper dir ----------------------------------------------

const MergedEntry* find_name(const std::vector<MergedEntry>& sorted, const std::string& name) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), name,
                               [](const MergedEntry& e, const std::string& n) { return e.name < n; });
    return it != sorted.end() && it->name == name ? &*it : nullptr;
}

bool has_name(const std::vector<MergedEntry>& sorted, const std::string& name) {
    return find_name(sorted, name) != nullptr;
}

void walk_upper(Diff& d, int dirfd, const std::string& rel, const MergedDir& lower) {
    std::vector<MergedEntry> below = lower.empty() ? std::vector<MergedEntry>{} : lower.list();
    for (const auto& name : list_dir(dirfd)) {
        if (name == kOpaqueMarker) continue;  // emitted with its directory
        std::string path = child_path(rel, name);
        struct stat st = lstat_at(dirfd, name);
        // fuse-overlayfs keeps a ".wh..opq" device next to its opaque
        // marker file: bookkeeping, not a deletion.
        if (!S_ISREG(st.st_mode) && name.starts_with(kWhiteoutPrefix)) continue;
        if (is_whiteout_stat(st) || (S_ISREG(st.st_mode) && name.starts_with(kWhiteoutPrefix))) {
            // Kernel form (0:0 device) or fuse-overlayfs' fallback file.
            std::string target = is_whiteout_stat(st) ? name : name.substr(kWhiteoutPrefix.size());
            d.marker(child_path(rel, std::string(kWhiteoutPrefix) + target), &st);
            if (has_name(below, target)) d.change(child_path(rel, target), ChangeKind::Deleted);
            continue;
        }
        const MergedEntry* prev = find_name(below, name);
        d.add(path, dirfd, name, st, prev ? ChangeKind::Changed : ChangeKind::Added);
        if (!S_ISDIR(st.st_mode)) continue;
        UniqueFd sub = open_subdir(dirfd, name);
        // Opacity only matters over a lower directory (fuse-overlayfs marks
        // every directory it creates).
        if (prev && S_ISDIR(prev->st.st_mode) && is_opaque_dir(sub.get()))
            d.marker(child_path(path, std::string(kOpaqueMarker)), &st);
        walk_upper(d, sub.get(), path, lower.empty() ? MergedDir{} : lower.child(name));
    }
}

// --- (c) a tree against the layers it came from ------------------------------

struct Item {
    std::string path;
    ChangeKind kind;
};

bool capability_differs(int new_dirfd, const std::string& name, const MergedEntry& old) {
    auto cap = [](int dirfd, const std::string& n) {
        char v[64];
        ssize_t len = ::lgetxattr(proc_path(dirfd, n).c_str(), "security.capability", v, sizeof v);
        return len > 0 ? std::string(v, static_cast<size_t>(len)) : std::string();
    };
    return cap(new_dirfd, name) != cap(old.dirfd, old.name);
}

bool meta_differs(int new_dirfd, const std::string& name, const struct stat& a, const MergedEntry& old) {
    const struct stat& b = old.st;
    if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid) return true;
    if ((S_ISCHR(a.st_mode) || S_ISBLK(a.st_mode)) && a.st_rdev != b.st_rdev) return true;
    // A directory's size and mtime move whenever its entries do; its own
    // change is judged by its children (as Docker does).
    if (S_ISDIR(a.st_mode)) return false;
    if (a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
        a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
        return true;
    if (S_ISLNK(a.st_mode)) return read_link_at(new_dirfd, name) != read_link_at(old.dirfd, old.name);
    if (S_ISREG(a.st_mode)) return capability_differs(new_dirfd, name, old);
    return false;
}

void all_added(int dirfd, const std::string& rel, std::vector<Item>& out) {
    for (const auto& name : list_dir(dirfd)) {
        std::string path = child_path(rel, name);
        out.push_back({path, ChangeKind::Added});
        if (S_ISDIR(lstat_at(dirfd, name).st_mode)) all_added(open_subdir(dirfd, name).get(), path, out);
    }
}

// Items under `rel`, parents before children; a directory is listed when
// it changed or anything below it did (its metadata must travel along).
void compare_dir(int dirfd, const std::string& rel, const MergedDir& old, std::vector<Item>& out) {
    std::vector<MergedEntry> before = old.empty() ? std::vector<MergedEntry>{} : old.list();
    std::vector<std::string> now = list_dir(dirfd);
    size_t i = 0, j = 0;
    while (i < now.size() || j < before.size()) {
        int cmp = i == now.size() ? 1 : j == before.size() ? -1 : now[i].compare(before[j].name);
        if (cmp > 0) {  // gone
            out.push_back({child_path(rel, before[j].name), ChangeKind::Deleted});
            ++j;
            continue;
        }
        const std::string& name = now[i];
        std::string path = child_path(rel, name);
        struct stat st = lstat_at(dirfd, name);
        bool is_dir = S_ISDIR(st.st_mode);
        if (cmp < 0) {  // new
            out.push_back({path, ChangeKind::Added});
            if (is_dir) all_added(open_subdir(dirfd, name).get(), path, out);
            ++i;
            continue;
        }
        const MergedEntry& prev = before[j];
        ++i;
        ++j;
        if ((st.st_mode & S_IFMT) != (prev.st.st_mode & S_IFMT)) {
            out.push_back({path, ChangeKind::Changed});
            if (is_dir) all_added(open_subdir(dirfd, name).get(), path, out);
            continue;
        }
        bool changed = meta_differs(dirfd, name, st, prev);
        if (!is_dir) {
            if (changed) out.push_back({path, ChangeKind::Changed});
            continue;
        }
        std::vector<Item> inner;
        compare_dir(open_subdir(dirfd, name).get(), path, old.child(name), inner);
        if (changed || !inner.empty()) {
            out.push_back({path, ChangeKind::Changed});
            std::move(inner.begin(), inner.end(), std::back_inserter(out));
        }
    }
}

std::vector<std::string> split_path(const std::string& p) {
    std::vector<std::string> out;
    size_t pos = 0;
    for (;;) {
        size_t s = p.find('/', pos);
        out.push_back(p.substr(pos, s == std::string::npos ? std::string::npos : s - pos));
        if (s == std::string::npos) return out;
        pos = s + 1;
    }
}

}  // namespace

DiffResult tar_tree(const std::string& dir, const WriteFn& sink, const DiffOptions& opts) {
    Diff d(sink, opts);
    walk_tree(d, open_root(dir).get(), "");
    return d.finish();
}

DiffResult tar_entry(int parent_fd, const std::string& name, const std::string& member, const WriteFn& sink,
                     const DiffOptions& opts) {
    Diff d(sink, opts);
    struct stat st = lstat_at(parent_fd, name);
    d.add(member, parent_fd, name, st, ChangeKind::Added);
    if (S_ISDIR(st.st_mode)) walk_tree(d, open_subdir(parent_fd, name).get(), member);
    return d.finish();
}

DiffResult tar_overlay_upper(const std::string& upper, const std::vector<std::string>& lowers,
                             const WriteFn& sink, const DiffOptions& opts) {
    Diff d(sink, opts);
    MergedDir lower = lowers.empty() ? MergedDir{} : MergedDir::open_stack(lowers);
    UniqueFd root = open_root(upper);
    if (is_opaque_dir(root.get())) d.marker(std::string(kOpaqueMarker), nullptr);
    walk_upper(d, root.get(), "", lower);
    return d.finish();
}

DiffResult tar_compare(const std::string& new_dir, const std::vector<std::string>& old_layers,
                       const WriteFn& sink, const DiffOptions& opts) {
    UniqueFd root = open_root(new_dir);
    MergedDir old = old_layers.empty() ? MergedDir{} : MergedDir::open_stack(old_layers);
    std::vector<Item> items;
    compare_dir(root.get(), "", old, items);

    Diff d(sink, opts);
    // Second pass: write the members. Paths are re-walked without following
    // symlinks: the tree may be a running container's.
    DirWalker walker(root.get());
    for (const auto& item : items) {
        std::vector<std::string> comps = split_path(item.path);
        if (item.kind == ChangeKind::Deleted) {
            d.change(item.path, item.kind);
            comps.back() = std::string(kWhiteoutPrefix) + comps.back();
            d.marker(join_components(comps, comps.size()), nullptr);
            continue;
        }
        int parent = walker.resolve(comps, comps.size() - 1, false);
        if (parent < 0) throw Error("diff: " + item.path + " vanished");
        d.add(item.path, parent, comps.back(), lstat_at(parent, comps.back()), item.kind);
    }
    return d.finish();
}

}  // namespace skiff::layers
