// The one set of checks for what users type at create/run (and wherever
// else the same kind of value comes in): numbers, signals, addresses,
// paths, mount and tmpfs options. Each either returns the value in the form
// the rest of skiff stores, or throws skiff::Error with a one-line message
// that names the flag and the value (a long value is shortened). Pure: no
// check here reads the host, so the rules are unit-tested as they are.
//
// Docker is the reference: what it accepts is accepted unless it is unsafe;
// what it refuses only when the container starts (or what the kernel would
// refuse then) is refused here, before anything is written.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::validate {

// `value` for a message: quoted, and cut after 64 characters so that a
// 6000-character argument still gives a one-line error.
std::string shown(std::string_view value);

// Go's strconv.ParseBool, which Docker uses for options such as
// --mount readonly=: 1 t T TRUE true True, 0 f F FALSE false False.
bool boolean(std::string_view value, std::string_view what);

// A base-10 integer in [min, max]: no sign other than a leading '-', no
// spaces, no suffix, no overflow.
int64_t integer(std::string_view value, std::string_view what, int64_t min, int64_t max);

// A decimal number ("1.5", "2", ".5", "1e-1"): finite, non-negative. No
// nan, inf, hex or a value that overflows a double.
double decimal(std::string_view value, std::string_view what);

// --cpus: 0 means no limit (Docker); otherwise from 0.01 (the kernel's
// smallest CFS quota per 100 ms period) to the host's CPU count.
double cpus(std::string_view value, unsigned host_cpus);

// A user or group ID: 0 to 4294967294 ((uid_t)-1 means "no change" to the
// kernel, so it is never an ID).
uint32_t id(std::string_view value, std::string_view what);
// --user NAME|UID[:GROUP|GID]: numeric parts in range; names are looked up
// in the image (container::resolve_user).
void user(std::string_view spec);

// A signal by name (KILL, SIGKILL, kill, RTMIN+3, RTMAX-1) or number
// (1-64), as Docker's signal.ParseSignal. Returns its number.
int signal(std::string_view value);

// An IPv4 or IPv6 address (no zone, no prefix length).
bool is_ip(std::string_view value);
std::string ip(std::string_view value, std::string_view flag);

// --add-host HOST:IP or HOST=IP (Docker 25), IP in [brackets] or
// host-gateway. Returns "HOST:IP" without brackets, the form the hosts
// file writer reads.
std::string extra_host(std::string_view value);

// --dns-search: a domain name or "." (Docker's ValidateDNSSearch).
std::string dns_search(std::string_view value);

// No control character (a newline in a value written to /etc/hosts or
// resolv.conf would add a line of the user's choosing).
void printable(std::string_view value, std::string_view flag);

// Capabilities in Linux's bit order, CAP_ prefixed.
const std::vector<std::string>& capability_names();
// A capability as --cap-add/--cap-drop take it (any case, CAP_ optional, or
// ALL). Returns "CAP_NAME" or "ALL".
std::string capability(std::string_view value, std::string_view flag);

// --hostname: 1 to 64 bytes (the kernel's HOST_NAME_MAX), no whitespace or
// control characters.
std::string hostname(std::string_view value);

// An absolute path inside the container, cleaned ("/a//b/../c/" is
// "/a/c"): under PATH_MAX with every component under NAME_MAX, as the
// kernel will want it at start.
std::string container_path(std::string_view value, std::string_view what);
// A mount destination (cleaned as above) that may be mounted on: not "/"
// (Docker: "destination can't be '/'") and not /proc or a path inside it
// (procfs is the runtime's; runc refuses these at start), except the files
// lxcfs replaces.
std::string mount_destination(std::string_view value, std::string_view what);

// The options of a bind or volume -v: at most one of each group (ro|rw,
// z|Z, a propagation, nocopy, exec|noexec, suid|nosuid, dev|nodev), as
// Docker's "invalid mode". `allowed` names the options the form takes.
std::vector<std::string> volume_mode(std::string_view options, std::string_view spec,
                                     const std::vector<std::string>& allowed);

// A propagation mode: private, rprivate, shared, rshared, slave, rslave.
bool is_propagation(std::string_view value);

// --tmpfs DEST[:OPTIONS] options: mount flags and tmpfs's own keys with
// their values checked (size=, nr_inodes=, nr_blocks= as numbers with k,
// m, g… or a percentage; mode= octal; uid=, gid= IDs). Unknown keys are
// refused as the kernel would refuse them at start.
std::vector<std::string> tmpfs_options(std::string_view options, std::string_view spec);
// An octal file mode (tmpfs-mode, mode=): 0 to 07777.
uint32_t octal_mode(std::string_view value, std::string_view what);

// --cpuset-cpus / --cpuset-mems: "0-3,5". Returns the numbers.
std::set<unsigned> cpu_list(std::string_view value, std::string_view flag);

// --ulimit NAME=SOFT[:HARD] (-1 or unlimited for no limit).
struct Ulimit {
    std::string name;  // nofile, nproc, … (as given, lower case)
    uint64_t soft = 0, hard = 0;  // UINT64_MAX: unlimited
};
Ulimit ulimit(std::string_view spec);

// --sysctl KEY=VALUE: the namespaced sysctls Docker allows (kernel.msg*,
// kernel.sem, kernel.shm*, fs.mqueue.*, net.*). Returns the key.
std::string sysctl_key(std::string_view key);

}  // namespace skiff::validate
