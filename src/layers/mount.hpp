// Mounting the union of an image's layers: kernel overlayfs (with
// `userxattr` inside a user namespace), fuse-overlayfs, and the RAII owner
// that takes a mount down again on error paths.
#pragma once

#include <string>
#include <vector>

namespace skiff::layers {

// Owns a mount point. Destroying an armed Mount detaches it (MNT_DETACH):
// an error between mounting and handing the rootfs over leaves nothing
// mounted. release() hands the mount over for good.
class Mount {
public:
    Mount() = default;
    explicit Mount(std::string target) : target_(std::move(target)) {}
    ~Mount();
    Mount(Mount&& o) noexcept : target_(std::move(o.target_)) { o.target_.clear(); }
    Mount& operator=(Mount&& o) noexcept;
    Mount(const Mount&) = delete;
    Mount& operator=(const Mount&) = delete;

    const std::string& target() const { return target_; }
    bool armed() const { return !target_.empty(); }
    std::string release();
    // Unmounts now; throws when the kernel refuses.
    void unmount();

private:
    std::string target_;
};

struct OverlayConfig {
    std::vector<std::string> lowers;  // lowest first, as images list layers
    std::string upper;                // empty: a read-only union of lowers
    std::string work;
    bool userxattr = false;           // overlay in a user namespace
    std::vector<std::string> extra;   // more options ("volatile", "metacopy=off"…)
};

// Kernel overlayfs. Uses the new mount API with one "lowerdir+" per layer
// where the kernel has it (no page-size limit on the layer count, no
// escaping), else the classic option string.
Mount mount_overlay(const OverlayConfig& cfg, const std::string& target);

// fuse-overlayfs (`program` is looked up in $PATH). Same layout on disk as
// kernel overlay, so the two can be swapped for a given container.
Mount mount_fuse_overlayfs(const OverlayConfig& cfg, const std::string& target,
                           const std::string& program = "fuse-overlayfs");

// Detaches whatever is mounted at target (fusermount3 -u for a FUSE mount
// we may not umount ourselves). Not mounted is fine.
void unmount_path(const std::string& target);

// True when `path` is the root of a mount.
bool is_mountpoint(const std::string& path);

// The mount points strictly below `dir` in this mount namespace (from
// /proc/self/mountinfo; `dir` is resolved first), deepest first, so they
// can be unmounted in order.
std::vector<std::string> mounts_under(const std::string& dir);

// /proc/sys/kernel/random/boot_id: cached probe results are valid until reboot.
std::string boot_id();

struct OverlayProbe {
    bool supported = false;
    std::string reason;  // why not, for `skiff info` and error messages
};

// Can kernel overlay (with `userxattr` when asked) be mounted here, with
// upper/work dirs on the file system of `storage_dir`? The answer is cached
// in cache_dir per boot, so only the first command after a reboot pays for
// the test mount (made in a throwaway mount namespace).
OverlayProbe probe_overlay(const std::string& storage_dir, const std::string& cache_dir, bool userxattr);

}  // namespace skiff::layers
