// --userns keep-id (rootless only, as in Podman). The monitor already runs
// in skiff's user namespace, where the user is 0 and the subordinate ranges
// follow; the container gets a nested user namespace where the user's own
// ID sits at its host value (or uid=/gid=) and the IDs below it shift up by
// one, so every ID stays mapped. (Podman's nomap, which leaves the user's
// ID out, cannot work here: the bundle lives in the user's 0700 runtime
// directory, which an unmapped owner makes unreachable.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace skiff::container {

struct BundleInputs;

struct NsIdMap {
    uint32_t inside = 0, outside = 0, size = 0;
    bool operator==(const NsIdMap&) const = default;
};

// "keep-id", "keep-id:uid=N,gid=N"; anything else is an Error.
struct KeepIdMode {
    std::optional<uint32_t> uid, gid;  // the container IDs for the user
};
KeepIdMode parse_userns_mode(const std::string& value);
bool is_nested_userns_mode(const std::string& value);  // keep-id[:…]

// /proc/PID/uid_map text.
std::vector<NsIdMap> parse_ns_map(std::string_view text);
// How many IDs the namespace maps from 0 on (the end of its last range).
uint32_t mapped_count(const std::vector<NsIdMap>& m);
// Inside the parent namespace (size `total`, the user at 0): container
// `id` -> parent 0 and every other parent ID in order around it.
std::vector<NsIdMap> keep_id_mapping(uint32_t id, uint32_t total);

// /etc/passwd and /etc/group with the user added (Podman's entry), unless
// an entry with that ID is there already.
std::string passwd_with(const std::string& passwd, const std::string& name, uint32_t uid, uint32_t gid,
                        const std::string& home);
std::string group_with(const std::string& group, const std::string& name, uint32_t gid);

// The monitor's part: the nested namespace, the process user, HOME and the
// passwd/group entries (written next to the other /etc files).
void apply_nested_userns(Json& cfg, const BundleInputs& in);

}  // namespace skiff::container
