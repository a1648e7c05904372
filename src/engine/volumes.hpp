// Named volumes behind the volume commands, and the volumes of containers:
// planning them at create, handing them to the monitor at start, showing
// them in inspect and removing anonymous ones with their container.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "container/record.hpp"
#include "container/volume_mount.hpp"
#include "container/volume_records.hpp"
#include "engine/engine.hpp"
#include "util/json.hpp"

namespace skiff::engine {

struct VolumeCreateRequest {
    std::string name;  // "" draws a 64-hex name
    std::string driver = "local";
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;  // type, device, o
    bool anonymous = false;
    // An existing volume of that name is returned as it is (Podman's
    // --ignore; also what a container's mount wants).
    bool ignore = false;
};
// Docker's rule for an existing name without --ignore: the same request
// again is fine, different labels or options are an error.
container::Volume create_volume(Engine& e, const VolumeCreateRequest& r);

// NotFound "no such volume: NAME".
container::Volume find_volume(Engine& e, const std::string& name);
std::vector<container::Volume> all_volumes(Engine& e);

// `volume ls` rows (Name, Driver, Scope, Mountpoint, Labels, CreatedAt,
// Links, Size, Anonymous) for the volumes that pass Docker's filters
// (name, label, label!, dangling, driver).
std::vector<Json> list_volumes(Engine& e, const std::vector<std::string>& filters);
// Docker's inspect object (Podman's Anonymous too).
Json inspect_volume(Engine& e, const container::Volume& v);

// Refuses a volume a container mounts (Docker's "volume is in use - [IDs]");
// `force` only makes a missing volume fine. Run it in the storage namespace.
void remove_volume(Engine& e, const std::string& name, bool force);

struct VolumePruneReport {
    std::vector<std::string> deleted;
    int64_t reclaimed = 0;
};
// Unused volumes: anonymous ones only unless `all` (Docker 23+). Filters:
// label=K[=V], label!=K[=V], until=TIME.
VolumePruneReport prune_volumes(Engine& e, bool all, const std::vector<std::string>& filters);

// Bytes under a volume's directory (measured: run in the storage namespace).
int64_t volume_size(Engine& e, const std::string& name);

// At create, before the record is written: resolves --volumes-from into
// mounts, draws names for anonymous volumes (-v /path, --mount without a
// source, the image's VOLUMEs not covered by another mount), refuses
// duplicate mount points, and strips the volume-opt/volume-label options
// from the mounts. Returns the volumes to create once the record exists.
std::vector<VolumeCreateRequest> plan_container_volumes(Engine& e, container::ContainerSpec& spec,
                                                        const Json& image_config);
void create_planned_volumes(Engine& e, const std::vector<VolumeCreateRequest>& planned);

// The container's volume mounts for its monitor; a volume that vanished is
// created again (a volume is created on first use).
std::vector<container::VolumeMount> container_volumes(Engine& e, const container::Container& c);

// A volume mount in a container's inspect (Docker's Mounts entry).
Json inspect_volume_mount(Engine& e, const container::MountSpec& m);

// `rm -v`: the container's anonymous volumes that no other container
// uses. Call it once the container's record is gone.
void remove_container_volumes(Engine& e, const container::Container& c);

}  // namespace skiff::engine
