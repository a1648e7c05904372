// A container's volumes as its monitor handles them: the local driver's
// mounts (tmpfs, binds, filesystems) on the volumes' data directories,
// Docker's copy-up of the image's content into empty volumes, and the
// removal of anonymous volumes with a --rm container.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "container/spec.hpp"
#include "state/db.hpp"

namespace skiff::container {

struct VolumeMount {
    std::string name;
    std::string volume_dir;  // the volume's directory in the store
    std::string data_dir;    // its _data: what the container sees
    std::string destination;
    bool anonymous = false;
    // The container's first start and no `nocopy`: an empty volume gets the
    // image's content at `destination` (Docker copies once, at creation).
    bool copy_up = false;
    std::map<std::string, std::string> options;  // the local driver's type, device, o
};

// In the monitor (skiff's user namespace when rootless, the monitor's own
// mount namespace), after the rootfs is mounted and before the bundle is
// written: mounts what the volumes' options ask for on their data
// directories, copies the image's content into empty volumes, and points
// the spec's volume mounts at the data directories (binds).
void prepare_volumes(const std::vector<VolumeMount>& volumes, ContainerSpec& spec, const std::string& rootfs,
                     bool rootless);

// Docker's copy-up: copies the directory at `path` inside `rootfs`
// (symlinks resolved within the rootfs) into `data_dir` when that is
// empty, keeping owners, modes, times, xattrs, symlinks and hard links, and
// giving `data_dir` the source directory's owner and mode. Never follows a
// symlink out of either tree. Returns false when there was nothing to copy.
bool copy_up(const std::string& rootfs, const std::string& path, const std::string& data_dir);

// Removes the anonymous volumes among `volumes` that no container other
// than `container_id` mounts: records and files (unmounting the data
// directory first; a data directory that stays mounted keeps its files).
// Failures are warnings on stderr: the container is gone either way.
void remove_anonymous_volumes(state::Database& db, const std::vector<VolumeMount>& volumes,
                              const std::string& container_id);

// Removes a volume's directory; refuses (throws) while its data directory
// is a mount point, so that a bind's device is never emptied.
void remove_volume_dir(const std::string& volume_dir, const std::string& data_dir);

}  // namespace skiff::container
