// Named volumes as the user spells them: names, the local driver's options
// (Docker's `type`, `device`, `o`) and the volume forms of -v. Pure parsing:
// nothing here touches the store.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "container/spec.hpp"

namespace skiff::container {

// The label Docker 23+ puts on anonymous volumes (and prunes by default).
inline constexpr const char* kAnonymousVolumeLabel = "com.docker.volume.anonymous";

// Docker's local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so no "/", no
// "..", at least two characters).
bool valid_volume_name(std::string_view name);
// Throws Docker's message for an invalid name; `hint` adds its advice for
// -v, where a relative host path is the usual mistake.
void check_volume_name(const std::string& name, bool hint = false);

// What the local driver mounts on a volume's data directory at container
// start: nothing (a plain directory), a filesystem or a bind.
struct LocalVolumeOptions {
    std::string type, device;
    unsigned long flags = 0;  // MS_* from `o` (MS_BIND|MS_REC for rbind)
    std::string data;         // the rest of `o`, for the filesystem
    bool bind() const;
    bool mounted() const { return !type.empty() || !device.empty(); }
};
// Validates as Docker's local driver does (known keys only; type and device
// need each other, o needs both) and, rootless, refuses what a user
// namespace cannot mount (only tmpfs and binds).
LocalVolumeOptions parse_local_options(const std::map<std::string, std::string>& opts, bool rootless);

// The volume forms of -v: "/path" (an anonymous volume) and
// "NAME:/path[:OPTIONS]". Returns nullopt for a bind mount (a source that
// starts with "/" or "."). Volume mounts have type "volume", the name as
// source ("" for an anonymous one) and options among ro, z, Z, nocopy and
// the nosuid/nodev/noexec family.
std::optional<MountSpec> parse_volume_flag(const std::string& spec);

// Options of a volume mount that are meant for the volume itself, not for
// the mount: "volume-opt=K=V" and "volume-label=K=V" from --mount.
inline constexpr std::string_view kVolumeOptPrefix = "volume-opt=";
inline constexpr std::string_view kVolumeLabelPrefix = "volume-label=";
// Marks a mount whose volume was made for this container (-v /path, the
// image's VOLUMEs): Docker's `rm -v` and `run --rm` remove only those, not
// an anonymous volume another container names explicitly.
inline constexpr std::string_view kAnonymousMountOption = "anonymous";

}  // namespace skiff::container
