// Rootless support: the user namespace every unprivileged skiff command
// runs in. Container uid 0 is the user's own uid; 1..N are the user's
// subordinate ids from /etc/subuid and /etc/subgid, mapped through the
// setuid helpers newuidmap/newgidmap (as Podman does). Real root needs no
// namespace at all.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/process.hpp"

namespace skiff::layers {

// Set in the environment of everything run inside the namespace, so that a
// nested skiff does not try to enter it again.
inline constexpr const char* kInUsernsEnv = "_SKIFF_IN_USERNS";

struct SubIdRange {
    uint32_t start = 0;
    uint32_t count = 0;
    bool operator==(const SubIdRange&) const = default;
};

struct IdMapEntry {
    uint32_t container = 0;  // first id inside the namespace
    uint32_t host = 0;       // first id outside
    uint32_t size = 0;
    bool operator==(const IdMapEntry&) const = default;
};

struct IdMapping {
    std::vector<IdMapEntry> uids, gids;
    // Only the user's own id is mapped (no subordinate ranges): files owned
    // by other ids in an image cannot be represented.
    bool single = false;
};

// The ranges for `user` (matched by name or by numeric id) in subuid/subgid
// format: "name:start:count" lines; "#" comments and junk are skipped.
std::vector<SubIdRange> parse_subids(std::string_view content, std::string_view user, uint32_t id);
std::vector<SubIdRange> read_subids(const std::string& path, std::string_view user, uint32_t id);

// 0 -> uid (size 1), then the ranges back to back from 1.
IdMapping build_mapping(uint32_t uid, uint32_t gid, const std::vector<SubIdRange>& subuids,
                        const std::vector<SubIdRange>& subgids);

// The text of /proc/PID/uid_map for these entries.
std::string format_id_map(const std::vector<IdMapEntry>& entries);

struct UsernsOptions {
    std::string subuid_file = "/etc/subuid";
    std::string subgid_file = "/etc/subgid";
    // Without subordinate ranges: fall back to mapping only the user's own
    // id (with a warning) instead of failing.
    bool allow_single = true;
    std::function<void(const std::string&)> warn;  // default: stderr
};

// The mapping for the calling user. The default warning (no subordinate
// range) is printed once per process.
IdMapping current_user_mapping(const UsernsOptions& opts = {});
// What a namespace child of this process needs: nothing to map as root
// (only the mount namespace is new), else current_user_mapping().
IdMapping caller_mapping();

// True when this process is not in the initial user namespace (the one
// test, shared with host::in_user_namespace()).
bool in_user_namespace();
// True when this process's user namespace maps a single ID (the fallback
// without subordinate ranges): files cannot be given other owners.
bool single_id_mapping();
// True when a command must enter the namespace first: not root, and not
// already inside (kInUsernsEnv unset).
bool needs_user_namespace();

// Runs fn in a child process inside a new user namespace (with `mapping`)
// and a new mount namespace; as root only the mount namespace is new.
// Returns fn's result, or the Error's exit code when it threw (the message
// is printed). Mounts made by fn never propagate back to the host.
int run_in_userns(const std::function<int()>& fn, const IdMapping& mapping);
int run_in_userns(const std::function<int()>& fn);  // caller_mapping()

struct SpawnOptions {
    // PR_SET_PDEATHSIG(SIGKILL): the child dies with the calling thread.
    bool die_with_parent = false;
};
// The building block of the above: forks a child into the namespaces and
// returns once its ID mapping is written (the child is root there by then).
// The child runs fn and _exit()s with its result (an Error's exit code
// when it threw). Failing to create or map the namespace throws here.
Child spawn_in_userns(const std::function<int()>& fn, const IdMapping& mapping, const SpawnOptions& opts = {});
// Waits for such a child as for a foreground command: ^C and ^\ are left
// to it (same terminal), SIGTERM and SIGHUP are passed on.
int wait_foreground(Child& child);

// `skiff unshare [COMMAND…]`: runs argv (or $SHELL) inside the namespace
// with kInUsernsEnv=1 and returns its exit status (shell form). As root
// the command simply runs.
int unshare_exec(std::vector<std::string> argv);

// Runs /proc/self/exe with `argv` (argv[0] kept as typed) inside the
// namespace with kInUsernsEnv=1 and returns its exit status. The child dies
// with the caller.
int reexec_in_userns(const std::vector<std::string>& argv);

}  // namespace skiff::layers
