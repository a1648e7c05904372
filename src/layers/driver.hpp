// Storage drivers: how a container's rootfs is made from its image's
// extracted layers, and how its changes are read back for diff/commit.
//
//   overlay         kernel overlayfs (`userxattr` inside a user namespace)
//   fuse-overlayfs  the same layout, mounted by the FUSE helper
//   vfs             a full copy of the merged layers (reflinks where the
//                   file system has them); works everywhere, costs space
//
// Every driver keeps image layers in overlay form (tar_apply's
// WhiteoutMode::Overlay), so switching drivers never needs a re-pull.
// A container dir holds upper/, work/ and merged/ (overlay, fuse) or
// rootfs/ (vfs).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "layers/tar_apply.hpp"
#include "layers/tar_diff.hpp"

namespace skiff::state {
class Database;
class Paths;
}  // namespace skiff::state

namespace skiff::layers {

enum class DriverKind { Overlay, FuseOverlayfs, Vfs };
std::string_view driver_name(DriverKind k);
// "overlay" (also "overlay2"), "fuse-overlayfs", "vfs"; throws otherwise.
DriverKind parse_driver(std::string_view name);

struct DriverOptions {
    std::string storage_dir;  // layers live here: probes test this file system
    std::string cache_dir;    // probe results (the runtime dir), per boot
    // Inside a user namespace: overlay needs `userxattr` and layers carry
    // user.overlay.opaque. Unset: detected from /proc/self/uid_map (and
    // true for any unprivileged process, which may only use user.*).
    std::optional<bool> userns;
    std::string fuse_program = "fuse-overlayfs";
    std::vector<std::string> mount_options;  // extra overlay options
    // Single-id mapping or no namespace: owners that cannot be set are
    // dropped instead of failing.
    bool ignore_owners = false;
};

class Driver {
public:
    explicit Driver(DriverOptions opts);
    virtual ~Driver() = default;
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    virtual DriverKind kind() const = 0;
    std::string_view name() const { return driver_name(kind()); }

    // How image layers must be extracted to be usable by this driver.
    ApplyOptions layer_apply_options() const;

    // Makes the container's rootfs from `layers` (lowest first) and returns
    // its path. Idempotent: an existing rootfs is returned as is.
    virtual std::string mount_rootfs(const std::vector<std::string>& layers, const std::string& container_dir) = 0;
    // Takes the rootfs down (vfs: nothing to do). Not mounted is fine.
    virtual void unmount(const std::string& container_dir) = 0;
    // Unmounts and deletes what the driver made under container_dir.
    void remove(const std::string& container_dir);

    // `skiff diff`: the container's changes against its image.
    std::vector<Change> changes(const std::vector<std::string>& layers, const std::string& container_dir) {
        return diff(layers, container_dir, {}).changes;
    }
    // `skiff commit`: the container's changes as a layer tar into sink.
    virtual DiffResult diff(const std::vector<std::string>& layers, const std::string& container_dir,
                            const WriteFn& sink, const DiffOptions& opts = {}) = 0;

protected:
    DriverOptions opts_;
};

std::unique_ptr<Driver> make_driver(DriverKind kind, DriverOptions opts);

// The best driver that works here: overlay when a test mount succeeds
// (cached per boot), else fuse-overlayfs when installed with /dev/fuse,
// else vfs. `why`, when given, says why overlay was passed over.
DriverKind detect_driver(const DriverOptions& opts, std::string* why = nullptr);

// The store's driver ---------------------------------------------------
//
// A store keeps the driver it was created with: the first command that
// needs one records it in the store's database (settings key
// "storage.driver"), and every later command uses it. A different
// --storage-driver or skiff.conf [storage] driver is then an error until
// `skiff system reset`.

// The options for the store at `paths`: probes under its tmp dir, results
// cached in probe_cache_dir(); owners dropped where they cannot be kept
// (unprivileged outside the namespace, a single-ID mapping).
DriverOptions store_driver_options(const state::Paths& paths);

struct DriverChoice {
    DriverKind kind = DriverKind::Vfs;
    // Where it came from: "store" (recorded), "requested" (flag or config),
    // "detected".
    std::string origin;
    std::string why_not_overlay;  // detection only: why overlay was passed over
};

// `requested`: --storage-driver / skiff.conf, "" for none. With `record`,
// a store with no driver yet gets this one recorded (a concurrent first
// command may win: its choice is returned). `db` may be null (no store
// yet): nothing is recorded then. Throws when the store has a driver and
// `requested` names another, unless `tolerate_mismatch`.
DriverChoice select_store_driver(state::Database* db, const DriverOptions& opts, std::string_view requested,
                                 bool record, bool tolerate_mismatch = false);

}  // namespace skiff::layers
