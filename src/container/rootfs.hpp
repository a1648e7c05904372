// The container's root filesystem: the image's layers stacked under the
// container's own upper directory. Mounted inside the monitor's private
// mount namespace, so it vanishes with the container and never leaks.
#pragma once

#include <string>
#include <vector>

namespace skiff::container {

struct RootfsRequest {
    std::vector<std::string> layers_lowest_first;
    std::string upper, work, target;
    std::string driver;  // overlay | fuse-overlayfs | vfs | "" (detect)
    bool userns = false;
    // The upper dir need not survive a crash (a --rm container): overlay's
    // `volatile` skips the sync of the upper filesystem at unmount, which
    // otherwise costs tens of milliseconds on a busy disk (Podman does the same).
    bool volatile_upper = false;
};

// Returns the driver that was used.
std::string mount_rootfs(const RootfsRequest& r);

}  // namespace skiff::container
