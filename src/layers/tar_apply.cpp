#include "layers/tar_apply.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <algorithm>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "layers/fsops.hpp"
#include "layers/job_pool.hpp"
#include "layers/safe_path.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::layers {

namespace {

// libarchive gets the decompressed stream in blocks this large (filled by
// BlockPipe's worker thread); file data is written straight from them.
constexpr size_t kBlock = 1 << 20;
// Files up to this size are written by the job pool's threads from a copy
// of their data; larger ones stream from the tar on the parsing thread.
constexpr int64_t kPooledFile = 1 << 20;
constexpr size_t kPoolBytes = 64 << 20;

// A failure of a job of the pool, already naming its member.
struct PooledError : Error {
    using Error::Error;
};

struct ArchiveFree {
    void operator()(struct archive* a) const { archive_read_free(a); }
};

struct Meta {
    mode_t perm = 0;
    int64_t uid = 0, gid = 0;
    struct timespec times[2]{};  // atime, mtime
    Xattrs xattrs;
};

// A directory whose mode, owner, xattrs and times are set at the very end:
// its children would otherwise bump its mtime, and a 0555 directory would
// refuse them.
struct DeferredDir {
    std::vector<std::string> comps;
    Meta meta;
};

void default_warn(const std::string& msg) { std::fprintf(stderr, "WARNING: %s\n", msg.c_str()); }

class Applier {
public:
    Applier(int root, const ApplyOptions& opts, const ReadFn& src)
        : root_(root), opts_(opts), pipe_(src, kBlock), walker_(root) {
        warn_ = opts_.warn ? opts_.warn : default_warn;
    }

    ApplyResult run();

private:
    static la_ssize_t read_cb(struct archive* a, void* self, const void** out);
    [[noreturn]] void fail_archive(const std::string& what);

    void entry(struct archive_entry* e);
    Meta meta_of(struct archive_entry* e) const;
    void whiteout(const std::vector<std::string>& comps);
    void opaque(const std::vector<std::string>& comps);
    void directory(int parent, const std::vector<std::string>& comps, Meta meta);
    void regular(int parent, const std::vector<std::string>& comps, int64_t size, const Meta& meta);
    void symlink(int parent, const std::vector<std::string>& comps, const char* target, const Meta& meta);
    void hardlink(int parent, const std::vector<std::string>& comps, const char* target);
    void special(int parent, const std::vector<std::string>& comps, mode_t type, dev_t dev, const Meta& meta);
    void finish_dirs();

    bool make_room(int parent, const std::string& leaf, bool want_dir);
    void chown_result(int rc, const std::string& path, const Meta& m);
    void set_xattrs(int fd, const std::string& proc, const std::string& path, const Xattrs& xs, bool symlink);
    // Applies rebase_from/rebase_to; false: skip the member.
    bool rebase(std::vector<std::string>& comps) const;
    void mark(const std::vector<std::string>& comps);
    void mark_created(const std::vector<std::string>& comps, size_t depth);
    void clear_untouched(int dirfd, const std::string& dir_path);
    void warn_once(bool& flag, const std::string& msg) {
        std::lock_guard<std::mutex> lock(warn_mu_);
        if (!flag) warn_(msg);
        flag = true;
    }
    // The pool: a fresh destination (nothing there to replace) and no
    // rebasing or owner override (docker cp keeps the plain path).
    void start_pool();
    // Whether the member at `comps` may meet a file still queued (the same
    // path, or one of its parents): then the queue must drain first.
    bool meets_queued(const std::vector<std::string>& comps) const;
    void drain_pool();
    bool pooled_regular(int parent, const std::vector<std::string>& comps, int64_t size, const Meta& meta);
    void finish_file(int fd, const std::string& path, const Meta& meta, bool wrote);

    int root_;
    const ApplyOptions& opts_;
    std::function<void(const std::string&)> warn_;
    BlockPipe pipe_;
    DirWalker walker_;
    std::unique_ptr<struct archive, ArchiveFree> ar_;
    std::exception_ptr read_error_;
    std::string cur_path_;  // the member being applied, for messages

    std::vector<DeferredDir> dirs_;
    std::unordered_map<std::string, size_t> dir_index_;
    // Apply mode: every path this layer wrote, and all their parents. A
    // whiteout hides only what lower layers brought (OCI image spec).
    std::unordered_set<std::string> touched_;

    ApplyResult result_;
    bool warned_devices_ = false, warned_xattr_ = false, warned_notsup_ = false;
    std::mutex warn_mu_;

    // With the pool: every path this apply made (a second member of one
    // name replaces the first on this thread), the files queued since the
    // last drain, and the last parent directory handed to the jobs.
    std::unordered_set<std::string> seen_, queued_;
    std::string job_parent_key_;
    std::shared_ptr<UniqueFd> job_parent_;
    // Last: destroyed first, so no job outlives what it uses.
    std::unique_ptr<JobPool> pool_;
};

void Applier::start_pool() {
    if (!opts_.rebase_from.empty() || opts_.owner || !list_dir(root_).empty()) return;
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    pool_ = std::make_unique<JobPool>(static_cast<unsigned>(std::clamp(cpus - 1, 1L, 4L)), kPoolBytes);
}

bool Applier::meets_queued(const std::vector<std::string>& comps) const {
    if (queued_.empty()) return false;
    for (size_t n = 1; n <= comps.size(); ++n)
        if (queued_.count(join_components(comps, n))) return true;
    return false;
}

void Applier::drain_pool() {
    if (!pool_) return;
    pool_->drain();
    queued_.clear();
    // What drains may replace the directory the jobs were writing into:
    // the next job looks its parent up again.
    job_parent_.reset();
    job_parent_key_.clear();
}

la_ssize_t Applier::read_cb(struct archive* a, void* p, const void** out) {
    auto* self = static_cast<Applier*>(p);
    try {
        std::string_view block = self->pipe_.next();
        *out = block.data();
        return static_cast<la_ssize_t>(block.size());
    } catch (...) {
        // Keep the real cause (truncated gzip…); libarchive only gets a tag.
        self->read_error_ = std::current_exception();
        archive_set_error(a, EIO, "layer stream failed");
        return -1;
    }
}

void Applier::fail_archive(const std::string& what) {
    if (read_error_) std::rethrow_exception(read_error_);
    const char* msg = archive_error_string(ar_.get());
    throw Error(what + ": " + (msg ? msg : "invalid tar archive"));
}

ApplyResult Applier::run() {
    ar_.reset(archive_read_new());
    if (!ar_) throw Error("apply layer: out of memory");
    // Plain tar only: decompression and hashing happen in pipe_, so that
    // the diff ID covers exactly the bytes libarchive parsed.
    archive_read_support_format_tar(ar_.get());
    archive_read_support_format_empty(ar_.get());
    if (archive_read_open2(ar_.get(), this, nullptr, read_cb, nullptr, nullptr) != ARCHIVE_OK)
        fail_archive("read layer");
    struct archive_entry* e = nullptr;
    start_pool();
    for (;;) {
        int r = archive_read_next_header(ar_.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            fail_archive(cur_path_.empty() ? "read layer" : "read layer after " + cur_path_);
        entry(e);
        ++result_.entries;
    }
    drain_pool();
    // The end-of-archive blocks and any padding belong to the diff ID too.
    static_cast<StreamDigests&>(result_) = pipe_.finish();
    finish_dirs();
    if (opts_.sync && opts_.sync_at_end && ::syncfs(root_) < 0) throw_errno("syncfs");
    if (!opts_.expect_digest.empty() && opts_.expect_digest != result_.digest)
        throw Error("layer digest mismatch: expected " + opts_.expect_digest + ", got " + result_.digest);
    if (!opts_.expect_diff_id.empty() && opts_.expect_diff_id != result_.diff_id)
        throw Error("layer diff ID mismatch: expected " + opts_.expect_diff_id + ", got " + result_.diff_id);
    return result_;
}

Meta Applier::meta_of(struct archive_entry* e) const {
    Meta m;
    m.perm = archive_entry_perm(e) & 07777;
    m.uid = opts_.owner ? opts_.owner->first : archive_entry_uid(e);
    m.gid = opts_.owner ? opts_.owner->second : archive_entry_gid(e);
    m.times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    m.times[0] = archive_entry_atime_is_set(e)
                     ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                     : m.times[1];
    if (archive_entry_xattr_reset(e) > 0) {
        const char* name;
        const void* value;
        size_t size;
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
            // A layer must not forge overlay's own metadata (redirects,
            // opaque marks outside the whiteout protocol) or host labels.
            if (is_private_xattr(name) || is_host_xattr(name)) continue;
            m.xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
        }
    }
    return m;
}

void Applier::entry(struct archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) throw Error(opts_.what + ": a member has no usable name");
    cur_path_ = printable(raw);
    std::vector<std::string> comps;
    try {
        comps = clean_components(raw);
        if (!rebase(comps)) return;
    } catch (const Error& err) {
        throw Error(opts_.what + ": " + err.what());
    }
    try {
        // Whiteouts and links may touch any earlier path: everything queued
        // must be on disk first. Other members only wait for their own path.
        if (pool_ && (archive_entry_hardlink(e) || meets_queued(comps) ||
                      (!comps.empty() && comps.back().starts_with(kWhiteoutPrefix))))
            drain_pool();
        if (opts_.whiteouts != WhiteoutMode::None && !comps.empty() &&
            comps.back().starts_with(kWhiteoutPrefix)) {
            if (comps.back() == kOpaqueMarker)
                opaque(comps);
            else
                whiteout(comps);
            return;
        }
        mode_t type = archive_entry_filetype(e);
        const char* link = archive_entry_hardlink(e);
        if (comps.empty()) {
            // "./" itself: only its metadata can change.
            if (type != AE_IFDIR || link) throw Error("refusing a non-directory member for the root");
            directory(root_, comps, meta_of(e));
            return;
        }
        int parent = walker_.resolve(comps, comps.size() - 1, true,
                                     [&](size_t depth) { mark_created(comps, depth); });
        if (opts_.whiteouts == WhiteoutMode::Apply) mark(comps);
        bool first = pool_ && seen_.insert(join_components(comps, comps.size())).second;
        // A second member of one name replaces the first, perhaps a
        // directory with queued files inside.
        if (pool_ && !first) drain_pool();
        if (link) return hardlink(parent, comps, link);
        switch (type) {
            case AE_IFDIR: return directory(parent, comps, meta_of(e));
            case AE_IFREG:
                if (first && pooled_regular(parent, comps, archive_entry_size(e), meta_of(e))) return;
                return regular(parent, comps, archive_entry_size(e), meta_of(e));
            case AE_IFLNK: return symlink(parent, comps, archive_entry_symlink(e), meta_of(e));
            case AE_IFCHR:
            case AE_IFBLK:
            case AE_IFIFO:
                return special(parent, comps, type, archive_entry_rdev(e), meta_of(e));
            default:
                // Sockets and unknown types carry nothing worth keeping.
                return;
        }
    } catch (const PooledError&) {
        throw;  // named its own member
    } catch (const Error& err) {
        throw Error(opts_.what + ": " + cur_path_ + ": " + err.what());
    }
}

bool Applier::rebase(std::vector<std::string>& comps) const {
    if (opts_.rebase_from.empty()) return true;
    if (comps.empty() || comps.front() != opts_.rebase_from)
        throw Error("member " + cur_path_ + " is outside the copied path " + opts_.rebase_from);
    if (!opts_.rebase_to.empty()) {
        comps.front() = opts_.rebase_to;
        return true;
    }
    if (comps.size() == 1) return false;  // the top itself: its children go straight in
    comps.erase(comps.begin());
    return true;
}

void Applier::mark(const std::vector<std::string>& comps) {
    for (size_t n = comps.size(); n > 0; --n)
        if (!touched_.insert(join_components(comps, n)).second) break;
}

void Applier::mark_created(const std::vector<std::string>& comps, size_t depth) {
    if (opts_.whiteouts == WhiteoutMode::Apply) touched_.insert(join_components(comps, depth + 1));
    if (pool_) seen_.insert(join_components(comps, depth + 1));
}

// Clears whatever holds `leaf` unless it is a directory we may merge into.
// Returns true when an existing directory is kept.
bool Applier::make_room(int parent, const std::string& leaf, bool want_dir) {
    struct stat st;
    if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return false;
        throw_errno("stat");
    }
    if (S_ISDIR(st.st_mode)) {
        if (want_dir) {
            // A lower layer's read-only directory we own: we must write in it.
            if ((st.st_mode & 0700) != 0700 && st.st_uid == ::geteuid())
                ::fchmodat(parent, leaf.c_str(), (st.st_mode & 07777) | 0700, 0);
            return true;
        }
        // The walker's cached chain ends at `parent`, so nothing it holds
        // lies inside what we delete.
        remove_at(parent, leaf);
    } else if (::unlinkat(parent, leaf.c_str(), 0) < 0 && errno != ENOENT) {
        throw_errno("replace");
    }
    return false;
}

void Applier::chown_result(int rc, const std::string& path, const Meta& m) {
    if (rc == 0) return;
    int err = errno;
    if ((err == EPERM || err == EINVAL) && opts_.ignore_owners) return;
    std::string why = std::strerror(err);
    if (err == EPERM || err == EINVAL)
        why += " (owner " + std::to_string(m.uid) + ":" + std::to_string(m.gid) +
               " is not available: run inside `skiff unshare` with subordinate ids, or ignore owners)";
    throw Error("chown " + path + ": " + why);
}

void Applier::set_xattrs(int fd, const std::string& proc, const std::string& path, const Xattrs& xs,
                         bool symlink) {
    for (const auto& [name, value] : xs) {
        // The kernel refuses user.* on symlinks; not worth a warning.
        if (symlink && name.starts_with("user.")) continue;
        int rc = fd >= 0 ? ::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0)
                         : ::lsetxattr(proc.c_str(), name.c_str(), value.data(), value.size(), 0);
        if (rc == 0) continue;
        int err = errno;
        if (err == ENOTSUP || err == EOPNOTSUPP) {
            warn_once(warned_notsup_, "the filesystem under the layer store cannot keep xattr " + name +
                                          " (of " + path + "); it is left out");
            continue;
        }
        if ((err == EPERM || err == EACCES) && opts_.ignore_xattr_errors) {
            warn_once(warned_xattr_, "not permitted to set xattr " + name + " (of " + path +
                                         "); such xattrs are left out");
            continue;
        }
        throw_errno("set xattr " + name, err);
    }
}

void Applier::directory(int parent, const std::vector<std::string>& comps, Meta meta) {
    if (!comps.empty()) {
        const std::string& leaf = comps.back();
        // 0700 until the end: we must be able to fill it whatever its mode.
        if (::mkdirat(parent, leaf.c_str(), 0700) < 0) {
            if (errno != EEXIST) throw_errno("mkdir");
            if (!make_room(parent, leaf, true) && ::mkdirat(parent, leaf.c_str(), 0700) < 0)
                throw_errno("mkdir");
        }
    }
    std::string key = join_components(comps, comps.size());
    auto [it, fresh] = dir_index_.emplace(key, dirs_.size());
    if (fresh)
        dirs_.push_back({comps, std::move(meta)});
    else
        dirs_[it->second].meta = std::move(meta);  // the last member wins, as with tar
}

void Applier::regular(int parent, const std::vector<std::string>& comps, int64_t size, const Meta& meta) {
    const std::string& leaf = comps.back();
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::openat(parent, leaf.c_str(), flags, 0600));
    if (!fd && errno == EEXIST) {
        make_room(parent, leaf, false);
        fd.reset(::openat(parent, leaf.c_str(), flags, 0600));
    }
    if (!fd) throw_errno("create");

    const void* data;
    size_t len;
    la_int64_t offset;
    int64_t pos = 0;
    for (;;) {
        int r = archive_read_data_block(ar_.get(), &data, &len, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail_archive("read");
        if (offset != pos) {
            // A hole in a sparse member: skip, the file system keeps it sparse.
            if (::lseek(fd.get(), offset, SEEK_SET) < 0) throw_errno("seek");
            pos = offset;
        }
        write_all(fd.get(), data, len, cur_path_);
        pos += static_cast<int64_t>(len);
    }
    // A trailing hole has no data block: extend to the member's size.
    if (pos < size && ::ftruncate(fd.get(), size) < 0) throw_errno("truncate");
    finish_file(fd.get(), cur_path_, meta, pos > 0);
}

void Applier::finish_file(int fd, const std::string& path, const Meta& meta, bool wrote) {
    // Start writing the data back now (as dpkg does): the disk works while
    // we unpack the rest, and the syncfs() at the end has little left to
    // wait for. Advisory: an error here is the final sync's to report.
    if (opts_.sync && wrote) ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    // Order matters: chown clears setuid bits and security.capability, so
    // mode and xattrs come after it; the mtime comes last of all.
    chown_result(::fchown(fd, static_cast<uid_t>(meta.uid), static_cast<gid_t>(meta.gid)), path, meta);
    if (::fchmod(fd, meta.perm) < 0) throw_errno("chmod");
    if (!meta.xattrs.empty()) set_xattrs(fd, {}, path, meta.xattrs, false);
    if (::futimens(fd, meta.times) < 0) throw_errno("set times");
}

bool Applier::pooled_regular(int parent, const std::vector<std::string>& comps, int64_t size,
                             const Meta& meta) {
    if (size > kPooledFile) return false;
    std::string data;
    data.reserve(static_cast<size_t>(size));
    const void* block;
    size_t len;
    la_int64_t offset;
    for (;;) {
        int r = archive_read_data_block(ar_.get(), &block, &len, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail_archive("read");
        // A hole of a sparse member becomes zeros: a small file need not
        // stay sparse.
        if (offset < 0 || offset + static_cast<int64_t>(len) > size)
            throw Error("a sparse member's data lies outside its size");
        data.resize(static_cast<size_t>(offset), '\0');
        data.append(static_cast<const char*>(block), len);
    }
    bool wrote = !data.empty();
    data.resize(static_cast<size_t>(size), '\0');
    std::string dir_key = join_components(comps, comps.size() - 1);
    if (!job_parent_ || dir_key != job_parent_key_) {
        UniqueFd dup(::fcntl(parent, F_DUPFD_CLOEXEC, 0));
        if (!dup) throw_errno("dup");
        job_parent_ = std::make_shared<UniqueFd>(std::move(dup));
        job_parent_key_ = dir_key;
    }
    queued_.insert(join_components(comps, comps.size()));
    size_t bytes = data.size() + 512;
    pool_->submit(
        [this, dir = job_parent_, leaf = comps.back(), path = cur_path_, data = std::move(data), meta, wrote] {
            try {
                UniqueFd fd(::openat(dir->get(), leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                     0600));
                if (!fd) throw_errno("create");
                if (wrote) write_all(fd.get(), data.data(), data.size(), path);
                else if (!data.empty() && ::ftruncate(fd.get(), static_cast<off_t>(data.size())) < 0)
                    throw_errno("truncate");
                finish_file(fd.get(), path, meta, wrote);
            } catch (const Error& err) {
                throw PooledError(opts_.what + ": " + path + ": " + err.what());
            }
        },
        bytes);
    return true;
}

void Applier::symlink(int parent, const std::vector<std::string>& comps, const char* target,
                      const Meta& meta) {
    const std::string& leaf = comps.back();
    if (!target) throw Error("symlink without a target");
    // The target is stored as is: it is never followed while applying.
    if (::symlinkat(target, parent, leaf.c_str()) < 0) {
        if (errno != EEXIST) throw_errno("symlink");
        make_room(parent, leaf, false);
        if (::symlinkat(target, parent, leaf.c_str()) < 0) throw_errno("symlink");
    }
    chown_result(::fchownat(parent, leaf.c_str(), static_cast<uid_t>(meta.uid),
                            static_cast<gid_t>(meta.gid), AT_SYMLINK_NOFOLLOW),
                 cur_path_, meta);
    if (!meta.xattrs.empty()) set_xattrs(-1, proc_path(parent, leaf), cur_path_, meta.xattrs, true);
    if (::utimensat(parent, leaf.c_str(), meta.times, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("set times");
}

void Applier::hardlink(int parent, const std::vector<std::string>& comps, const char* target) {
    std::vector<std::string> tcomps = clean_components(target);
    if (!rebase(tcomps) || tcomps.empty()) throw Error("refusing a hard link to the root");
    // A fresh walker: links are rare, and a cached chain could outlive a
    // directory that an earlier member replaced.
    DirWalker tw(root_);
    int tparent = tw.resolve(tcomps, tcomps.size() - 1, false);
    const std::string& tleaf = tcomps.back();
    const std::string& leaf = comps.back();
    auto missing = [&] {
        return Error("hard link target \"" + printable(target) + "\" is not in this layer");
    };
    if (tparent < 0) throw missing();
    // linkat() without AT_SYMLINK_FOLLOW links a symlink itself, never
    // what it points to: the target cannot leave the root.
    if (::linkat(tparent, tleaf.c_str(), parent, leaf.c_str(), 0) == 0) return;
    if (errno == ENOENT) throw missing();
    if (errno != EEXIST) throw_errno("link to " + std::string(target));
    struct stat a, b;
    if (::fstatat(tparent, tleaf.c_str(), &a, AT_SYMLINK_NOFOLLOW) == 0 &&
        ::fstatat(parent, leaf.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return;  // already that very file
    make_room(parent, leaf, false);
    if (::linkat(tparent, tleaf.c_str(), parent, leaf.c_str(), 0) < 0)
        throw_errno("link to " + std::string(target));
}

void Applier::special(int parent, const std::vector<std::string>& comps, mode_t type, dev_t dev,
                      const Meta& meta) {
    const std::string& leaf = comps.back();
    mode_t mode = type | (meta.perm & 07777);
    auto make = [&] {
        return type == AE_IFIFO ? ::mkfifoat(parent, leaf.c_str(), meta.perm & 07777)
                                : ::mknodat(parent, leaf.c_str(), mode, dev);
    };
    int rc = make();
    if (rc < 0 && errno == EEXIST) {
        make_room(parent, leaf, false);
        rc = make();
    }
    if (rc < 0) {
        if (errno == EPERM && type != AE_IFIFO) {
            // Rootless: the kernel will not let us make devices. The runtime
            // bind-mounts the usual ones, so this is rarely a loss.
            ++result_.skipped_devices;
            warn_once(warned_devices_, "device nodes cannot be created without privilege; skipped " +
                                           cur_path_ + " and any others in this layer");
            return;
        }
        throw_errno("mknod");
    }
    chown_result(::fchownat(parent, leaf.c_str(), static_cast<uid_t>(meta.uid),
                            static_cast<gid_t>(meta.gid), AT_SYMLINK_NOFOLLOW),
                 cur_path_, meta);
    // mknod applied the umask; set the exact bits now.
    if (::fchmodat(parent, leaf.c_str(), meta.perm & 07777, 0) < 0) throw_errno("chmod");
    if (!meta.xattrs.empty()) set_xattrs(-1, proc_path(parent, leaf), cur_path_, meta.xattrs, false);
    if (::utimensat(parent, leaf.c_str(), meta.times, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("set times");
}

void Applier::whiteout(const std::vector<std::string>& comps) {
    std::string name = comps.back().substr(kWhiteoutPrefix.size());
    if (name.empty() || name == "." || name == "..")
        throw Error("invalid whiteout name");
    size_t n = comps.size() - 1;
    if (opts_.whiteouts == WhiteoutMode::Apply) {
        int parent = walker_.resolve(comps, n, false);
        if (parent < 0) return;  // the directory is not there: nothing to hide
        std::string path = join_components(comps, n);
        path = path.empty() ? name : path + "/" + name;
        // Only what lower layers brought is deleted (OCI image spec).
        if (touched_.count(path)) return;
        make_room(parent, name, false);
        return;
    }
    int parent = walker_.resolve(comps, n, true, [&](size_t) {});
    struct stat st;
    // The directory is fresh: anything already there came from this very
    // layer, which a whiteout must not hide.
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return;
    if (::mknodat(parent, name.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0) {
        if (errno == EPERM)
            throw Error("cannot create the overlay whiteout for " + name +
                        ": not permitted (needs Linux >= 5.8, root, or a user namespace)");
        throw_errno("create whiteout " + name);
    }
    // A later member of that name replaces the whiteout: on this thread.
    if (pool_) {
        std::string dir = join_components(comps, n);
        seen_.insert(dir.empty() ? name : dir + "/" + name);
    }
}

void Applier::opaque(const std::vector<std::string>& comps) {
    size_t n = comps.size() - 1;
    if (opts_.whiteouts == WhiteoutMode::Apply) {
        int dir = walker_.resolve(comps, n, false);
        if (dir < 0) return;
        clear_untouched(dir, join_components(comps, n));
        return;
    }
    int dir = walker_.resolve(comps, n, true, [&](size_t) {});
    UniqueFd rd(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!rd) throw_errno("open directory");
    if (::fsetxattr(rd.get(), opts_.opaque_xattr.c_str(), "y", 1, 0) < 0) {
        int err = errno;
        std::string hint = err == EPERM && opts_.opaque_xattr.starts_with("trusted.")
                               ? " (inside a user namespace use " + std::string(kOpaqueXattrUserns) + ")"
                               : "";
        throw Error("mark directory opaque (" + opts_.opaque_xattr + "): " + std::strerror(err) + hint);
    }
}

void Applier::clear_untouched(int dirfd, const std::string& dir_path) {
    for (const auto& name : list_dir(dirfd)) {
        std::string path = dir_path.empty() ? name : dir_path + "/" + name;
        if (!touched_.count(path)) {
            remove_at(dirfd, name);
            continue;
        }
        // Ours, but it may still hold lower content under it.
        UniqueFd sub(::openat(dirfd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub) clear_untouched(sub.get(), path);
    }
}

void Applier::finish_dirs() {
    // Deepest (latest) first: a parent made 0555 must not stop us from
    // reaching its children.
    DirWalker w(root_);
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        const auto& comps = it->comps;
        const Meta& m = it->meta;
        UniqueFd fd;
        try {
            if (comps.empty()) {
                fd.reset(::openat(root_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            } else {
                int parent = w.resolve(comps, comps.size() - 1, false);
                if (parent < 0) continue;
                fd = open_dir_nofollow(parent, comps.back(), comps.back(), O_RDONLY);
            }
        } catch (const Error&) {
            continue;  // a later member replaced it by something else
        }
        if (!fd) continue;
        cur_path_ = comps.empty() ? "." : printable(join_components(comps, comps.size()));
        try {
            chown_result(::fchown(fd.get(), static_cast<uid_t>(m.uid), static_cast<gid_t>(m.gid)),
                         cur_path_, m);
            if (::fchmod(fd.get(), m.perm) < 0) throw_errno("chmod");
            if (!m.xattrs.empty()) set_xattrs(fd.get(), {}, cur_path_, m.xattrs, false);
            if (::futimens(fd.get(), m.times) < 0) throw_errno("set times");
        } catch (const Error& err) {
            throw Error(opts_.what + ": " + cur_path_ + ": " + err.what());
        }
    }
}

std::string temp_sibling(const std::string& dest) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return fs::join(fs::dirname(dest), "." + fs::basename(dest) + ".tmp-" + buf);
}

}  // namespace

ApplyResult apply_tar_at(const ReadFn& src, int dest_dirfd, const ApplyOptions& opts) {
    Applier applier(dest_dirfd, opts, src);
    return applier.run();
}

ApplyResult apply_tar(const ReadFn& src, const std::string& dest, const ApplyOptions& opts) {
    UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open " + dest);
    return apply_tar_at(src, root.get(), opts);
}

ApplyResult apply_tar(int fd, const std::string& dest, const ApplyOptions& opts) {
    return apply_tar(fd_reader(fd), dest, opts);
}

ApplyResult extract_layer(const ReadFn& src, const std::string& dest, const ApplyOptions& opts) {
    std::string tmp = temp_sibling(dest);
    if (::mkdir(tmp.c_str(), 0755) < 0) throw_errno("mkdir " + tmp);
    ApplyResult res;
    try {
        res = apply_tar(src, tmp, opts);
        if (::rename(tmp.c_str(), dest.c_str()) < 0) {
            if (errno != EEXIST && errno != ENOTEMPTY) throw_errno("rename " + tmp + " to " + dest);
            remove_tree(tmp);  // someone else extracted the same layer first
        }
    } catch (...) {
        try {
            remove_tree(tmp);
        } catch (...) {
        }
        throw;
    }
    return res;
}

}  // namespace skiff::layers
