#include "layers/driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "layers/flatten.hpp"
#include "layers/fsops.hpp"
#include "layers/mount.hpp"
#include "layers/userns.hpp"
#include "state/db.hpp"
#include "state/paths.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::layers {

std::string_view driver_name(DriverKind k) {
    switch (k) {
        case DriverKind::Overlay: return "overlay";
        case DriverKind::FuseOverlayfs: return "fuse-overlayfs";
        case DriverKind::Vfs: return "vfs";
    }
    return "unknown";
}

DriverKind parse_driver(std::string_view name) {
    if (name == "overlay" || name == "overlay2") return DriverKind::Overlay;
    if (name == "fuse-overlayfs") return DriverKind::FuseOverlayfs;
    if (name == "vfs") return DriverKind::Vfs;
    throw Error("unknown storage driver \"" + std::string(name) + "\" (overlay, fuse-overlayfs or vfs)");
}

namespace {

bool default_userns() { return ::geteuid() != 0 || in_user_namespace(); }

constexpr const char* kDriverSetting = "storage.driver";

}  // namespace

Driver::Driver(DriverOptions opts) : opts_(std::move(opts)) {
    if (!opts_.userns) opts_.userns = default_userns();
}

ApplyOptions Driver::layer_apply_options() const {
    ApplyOptions a;
    a.whiteouts = WhiteoutMode::Overlay;
    // What the kernel reads: trusted.* as real root, user.* with userxattr.
    // fuse-overlayfs and our own layer stack understand both.
    a.opaque_xattr = *opts_.userns ? kOpaqueXattrUserns : kOpaqueXattrRoot;
    a.ignore_owners = opts_.ignore_owners;
    // trusted.* and most security.* xattrs are root's of the host alone.
    a.ignore_xattr_errors = opts_.ignore_owners || *opts_.userns;
    return a;
}

void Driver::remove(const std::string& container_dir) {
    unmount(container_dir);
    for (const char* d : {"merged", "upper", "work", "empty", "rootfs"}) remove_tree(fs::join(container_dir, d));
}

namespace {

// overlay and fuse-overlayfs: same directories, different mounter.
class OverlayFamily : public Driver {
public:
    using Driver::Driver;

    std::string mount_rootfs(const std::vector<std::string>& layers, const std::string& cdir) override {
        const std::string merged = fs::join(cdir, "merged");
        OverlayConfig cfg;
        cfg.upper = fs::join(cdir, "upper");
        cfg.work = fs::join(cdir, "work");
        fs::make_dirs(cfg.upper, 0755);
        fs::make_dirs(cfg.work, 0700);
        fs::make_dirs(merged, 0755);
        if (is_mountpoint(merged)) return merged;
        cfg.lowers = layers;
        if (cfg.lowers.empty()) {
            // `FROM scratch`: overlay still wants one lower layer.
            cfg.lowers.push_back(fs::join(cdir, "empty"));
            fs::make_dirs(cfg.lowers.back(), 0755);
        }
        cfg.userxattr = *opts_.userns && kind() == DriverKind::Overlay;
        cfg.extra = opts_.mount_options;
        Mount m = do_mount(cfg, merged);
        return m.release();
    }

    void unmount(const std::string& cdir) override {
        const std::string merged = fs::join(cdir, "merged");
        if (fs::exists(merged) && is_mountpoint(merged)) unmount_path(merged);
    }

    DiffResult diff(const std::vector<std::string>& layers, const std::string& cdir, const WriteFn& sink,
                    const DiffOptions& opts) override {
        return tar_overlay_upper(fs::join(cdir, "upper"), layers, sink, opts);
    }

protected:
    virtual Mount do_mount(const OverlayConfig& cfg, const std::string& target) = 0;
};

class OverlayDriver final : public OverlayFamily {
public:
    using OverlayFamily::OverlayFamily;
    DriverKind kind() const override { return DriverKind::Overlay; }

protected:
    Mount do_mount(const OverlayConfig& cfg, const std::string& target) override {
        return mount_overlay(cfg, target);
    }
};

class FuseOverlayDriver final : public OverlayFamily {
public:
    using OverlayFamily::OverlayFamily;
    DriverKind kind() const override { return DriverKind::FuseOverlayfs; }

protected:
    Mount do_mount(const OverlayConfig& cfg, const std::string& target) override {
        return mount_fuse_overlayfs(cfg, target, opts_.fuse_program);
    }
};

class VfsDriver final : public Driver {
public:
    using Driver::Driver;
    DriverKind kind() const override { return DriverKind::Vfs; }

    std::string mount_rootfs(const std::vector<std::string>& layers, const std::string& cdir) override {
        const std::string rootfs = fs::join(cdir, "rootfs");
        if (fs::is_dir(rootfs)) return rootfs;
        // Built aside and renamed: a half-copied rootfs is never used. The
        // name is per process: two first users (start, export) may race, and
        // the loser drops its copy for the winner's. A killed builder's
        // leftover goes with the container dir.
        const std::string tmp = fs::join(cdir, ".rootfs-tmp-" + std::to_string(::getpid()));
        remove_tree(tmp);
        fs::make_dirs(cdir, 0700);
        if (::mkdir(tmp.c_str(), 0755) < 0) throw_errno("mkdir " + tmp);
        try {
            FlattenOptions fo;
            fo.ignore_owners = opts_.ignore_owners;
            flatten_layers(layers, tmp, fo);
            if (::rename(tmp.c_str(), rootfs.c_str()) < 0) {
                if ((errno != ENOTEMPTY && errno != EEXIST) || !fs::is_dir(rootfs)) throw_errno("rename " + tmp);
                remove_tree(tmp);
            }
        } catch (...) {
            try {
                remove_tree(tmp);
            } catch (...) {
            }
            throw;
        }
        return rootfs;
    }

    void unmount(const std::string&) override {}

    DiffResult diff(const std::vector<std::string>& layers, const std::string& cdir, const WriteFn& sink,
                    const DiffOptions& opts) override {
        return tar_compare(fs::join(cdir, "rootfs"), layers, sink, opts);
    }
};

}  // namespace

std::unique_ptr<Driver> make_driver(DriverKind kind, DriverOptions opts) {
    switch (kind) {
        case DriverKind::Overlay: return std::make_unique<OverlayDriver>(std::move(opts));
        case DriverKind::FuseOverlayfs: return std::make_unique<FuseOverlayDriver>(std::move(opts));
        case DriverKind::Vfs: return std::make_unique<VfsDriver>(std::move(opts));
    }
    throw Error("unknown storage driver");
}

DriverKind detect_driver(const DriverOptions& opts, std::string* why) {
    bool userns = opts.userns ? *opts.userns : default_userns();
    OverlayProbe p = probe_overlay(opts.storage_dir, opts.cache_dir, userns);
    if (p.supported) return DriverKind::Overlay;
    if (why) *why = p.reason;
    if (fs::find_executable(opts.fuse_program) && ::access("/dev/fuse", R_OK | W_OK) == 0)
        return DriverKind::FuseOverlayfs;
    return DriverKind::Vfs;
}

DriverOptions store_driver_options(const state::Paths& paths) {
    DriverOptions o;
    o.storage_dir = paths.tmp_dir();
    o.cache_dir = paths.probe_cache_dir();
    o.userns = default_userns();
    o.ignore_owners = ::geteuid() != 0 || single_id_mapping();
    return o;
}

DriverChoice select_store_driver(state::Database* db, const DriverOptions& opts, std::string_view requested,
                                 bool record, bool tolerate_mismatch) {
    std::optional<DriverKind> asked;
    if (!requested.empty()) asked = parse_driver(requested);
    DriverChoice c;
    std::optional<std::string> recorded = db ? state::get_setting(*db, kDriverSetting) : std::nullopt;
    if (!recorded) {
        if (asked) {
            c.kind = *asked;
            c.origin = "requested";
        } else {
            c.kind = detect_driver(opts, &c.why_not_overlay);
            c.origin = "detected";
        }
        if (!record || !db) return c;
        recorded = state::set_setting_once(*db, kDriverSetting, driver_name(c.kind));
        if (*recorded == driver_name(c.kind)) return c;
    }
    try {
        c.kind = parse_driver(*recorded);
    } catch (const Error&) {
        throw Error("the store records an unknown storage driver \"" + *recorded +
                    "\": run skiff system reset to start over");
    }
    c.origin = "store";
    c.why_not_overlay.clear();
    if (asked && *asked != c.kind && !tolerate_mismatch)
        throw Error("this store was created with the " + std::string(driver_name(c.kind)) + " storage driver, not " +
                    std::string(driver_name(*asked)) + " (--storage-driver or skiff.conf [storage] driver): "
                    "run skiff system reset to start over with " + std::string(driver_name(*asked)) +
                    ", or use another --root");
    return c;
}

}  // namespace skiff::layers
