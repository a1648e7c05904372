#include "commands/run_flags.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>

#include "commands/output.hpp"
#include "container/volume_opts.hpp"
#include "container/detach_keys.hpp"
#include "container/keepid.hpp"
#include "format/template.hpp"
#include "image/changes.hpp"
#include "image/reference.hpp"
#include "net/modes.hpp"
#include "util/host.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/validate.hpp"

namespace skiff::commands {

namespace {

using cli::Complete;
using cli::Flag;
using cli::FlagType;

Flag list(const char* name, char shorthand, const char* help, const char* value = "list") {
    return {name, shorthand, FlagType::List, help, value};
}
Flag string(const char* name, char shorthand, const char* help, const char* value = "string") {
    return {name, shorthand, FlagType::String, help, value};
}
Flag boolean(const char* name, char shorthand, const char* help) { return {name, shorthand, FlagType::Bool, help}; }

std::vector<std::string> read_lines_file(const std::string& path, const char* what) {
    auto text = fs::read_file_if_exists(path);
    if (!text) throw Error(std::string(what) + " " + path + ": No such file or directory");
    std::vector<std::string> out;
    for (auto& line : str::split(*text, '\n')) {
        std::string t = str::trim(line);
        if (t.empty() || t[0] == '#') continue;
        out.push_back(t);
    }
    return out;
}

// -e KEY=VAL, or KEY alone: taken from our environment when set (Docker).
void add_env(std::vector<std::string>& env, const std::string& item) {
    if (item.find('=') != std::string::npos) {
        if (item[0] == '=') throw Error("invalid environment variable: " + item);
        env.push_back(item);
        return;
    }
    if (const char* v = std::getenv(item.c_str())) env.push_back(item + "=" + v);
}

std::string absolute(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
    return fs::join(cwd, path);
}

container::MountSpec parse_volume(const std::string& v, std::vector<std::string>& make_sources) {
    if (auto vol = container::parse_volume_flag(v)) return *vol;
    auto parts = str::split(v, ':');
    if (parts.size() > 3) throw Error("invalid volume specification: " + validate::shown(v));
    container::MountSpec m;
    m.type = "bind";
    m.source = absolute(parts[0]);
    m.destination = validate::mount_destination(parts[1], "volume specification " + validate::shown(v) + ": container path");
    if (parts.size() == 3) {
        static const std::vector<std::string> ok = {"ro", "rw", "z", "Z", "shared", "slave", "private",
                                                    "rshared", "rslave", "rprivate", "nocopy", "noexec",
                                                    "exec", "nosuid", "suid", "nodev", "dev"};
        for (auto& o : validate::volume_mode(parts[2], v, ok))
            if (o != "rw" && o != "nocopy") m.options.push_back(o);
    }
    // Docker creates a missing bind source as a directory: once every
    // flag is checked, so that a refused command leaves nothing behind.
    if (!fs::exists(m.source)) make_sources.push_back(m.source);
    return m;
}

// --mount as Docker's CLI reads it: key=value fields (readonly, ro and
// volume-nocopy may stand alone), booleans as Go's ParseBool, and only the
// fields of the mount's own type.
container::MountSpec parse_mount(const std::string& spec) {
    container::MountSpec m;
    m.type = "volume";
    std::string size, mode;
    std::map<std::string, std::string> type_fields;  // a type-specific field → the type it is for
    bool read_only = false, nocopy = false;
    auto refuse = [&](const std::string& why) { return Error("invalid --mount " + validate::shown(spec) + ": " + why); };
    for (auto& field : str::split(spec, ',')) {
        auto [k, v] = str::split_once(field, '=');
        bool bare = field.find('=') == std::string::npos;
        if (bare && k != "readonly" && k != "ro" && k != "volume-nocopy")
            throw refuse("field " + validate::shown(k) + " must be a key=value pair");
        auto flag = [&](const char* what) { return bare || validate::boolean(v, what); };
        if (k == "type") m.type = v;
        else if (k == "source" || k == "src") m.source = v;
        else if (k == "target" || k == "destination" || k == "dst") m.destination = v;
        else if (k == "readonly" || k == "ro") read_only = flag("--mount readonly");
        else if (k == "tmpfs-size") size = v, type_fields[k] = "tmpfs";
        else if (k == "tmpfs-mode") mode = v, type_fields[k] = "tmpfs";
        else if (k == "bind-propagation") {
            if (!validate::is_propagation(v))
                throw refuse("bind-propagation " + validate::shown(v) + " is none of private, rprivate, shared, "
                             "rshared, slave, rslave");
            m.options.push_back(v);
            type_fields[k] = "bind";
        } else if (k == "relabel" || k == "consistency") continue;
        else if (k == "volume-nocopy") nocopy = flag("--mount volume-nocopy"), type_fields[k] = "volume";
        else if (k == "volume-driver") {
            if (v != "local") throw refuse("volume driver " + validate::shown(v) + " is not supported (local)");
            type_fields[k] = "volume";
        } else if (k == "volume-opt" || k == "volume-label") {
            if (v.find('=') == std::string::npos) throw refuse(k + " needs KEY=VALUE");
            m.options.push_back(std::string(k) + "=" + v);
            type_fields[k] = "volume";
        }
        else throw refuse("unknown field " + validate::shown(k));
    }
    if (m.type != "bind" && m.type != "tmpfs" && m.type != "volume")
        throw refuse("unsupported type " + validate::shown(m.type) + " (bind, tmpfs, volume)");
    // Docker: another type's option is an error, not ignored.
    for (auto& [field, type] : type_fields)
        if (type != m.type) throw refuse(field + " is for type=" + type + " mounts");
    if (m.destination.empty()) throw refuse("target is required");
    m.destination = validate::mount_destination(m.destination, "--mount target");
    if (read_only) m.options.push_back("ro");
    if (nocopy) m.options.push_back("nocopy");
    if (m.type == "bind") {
        if (m.source.empty()) throw refuse("bind mounts need a source");
        m.source = absolute(m.source);
        // Unlike -v, --mount refuses a missing source (Docker).
        if (!fs::exists(m.source)) throw Error("invalid mount config: bind source path does not exist: " + m.source);
    } else if (m.type == "tmpfs") {
        if (!m.source.empty()) throw refuse("a tmpfs mount has no source");
        if (!size.empty()) m.options.push_back("size=" + std::to_string(str::parse_ram_bytes(size)));
        if (!mode.empty()) m.options.push_back("mode=" + mode), validate::octal_mode(mode, "--mount tmpfs-mode");
    } else if (!m.source.empty()) {
        // A volume; no source is an anonymous one.
        container::check_volume_name(m.source);
    }
    return m;
}

container::RestartPolicy parse_restart(const std::string& s) {
    container::RestartPolicy r;
    auto [name, count] = str::split_once(s, ':');
    if (name != "no" && name != "always" && name != "on-failure" && name != "unless-stopped")
        throw Error("invalid restart policy \"" + s + "\": expected no, always, on-failure[:max-retries] or unless-stopped");
    r.name = name;
    if (!count.empty()) {
        if (name != "on-failure") throw Error("invalid restart policy \"" + s + "\": only on-failure takes a count");
        r.max_retries = static_cast<int>(validate::integer(count, "--restart on-failure count", 1, INT32_MAX));
    }
    return r;
}

// One --network value: a mode or network name, Docker's advanced form
// (name=NET,alias=A,ip=IP,ip6=IP6,mac-address=MAC) or Podman's (NET:ip=IP,ip6=IP6,mac=MAC,alias=A).
container::ContainerSpec::NetworkJoin split_network_value(const std::string& value) {
    container::ContainerSpec::NetworkJoin j;
    std::vector<std::string> opts;
    if (value.rfind("name=", 0) == 0) {
        auto parts = str::split(value, ',');
        j.name = parts[0].substr(5);
        opts.assign(parts.begin() + 1, parts.end());
    } else if (auto colon = value.find(':'); colon != std::string::npos && value.find('=', colon) != std::string::npos &&
                                             value.rfind("ns:", 0) != 0 && value.rfind("container:", 0) != 0) {
        j.name = value.substr(0, colon);
        opts = str::split(value.substr(colon + 1), ',');
    } else {
        j.name = value;
        return j;
    }
    for (auto& o : opts) {
        auto [k, v] = str::split_once(o, '=');
        if (k == "alias") j.aliases.push_back(v);
        else if (k == "ip" || k == "ip4") j.ip = v;
        else if (k == "ip6") j.ip6 = v;
        else if (k == "mac" || k == "mac-address") j.mac = v;
        else throw Error("--network " + value + ": unsupported option \"" + k + "\" (alias, ip, ip6, mac-address)");
        if (v.empty()) throw Error("--network " + value + ": option " + k + " needs a value");
    }
    if (net::parse_network_mode(j.name) != "networks")
        throw Error("--network " + value + ": options are for user-defined networks only");
    return j;
}

void parse_networks(const cli::Args& a, container::ContainerSpec& s) {
    std::vector<container::ContainerSpec::NetworkJoin> joins;
    std::vector<std::string> names;
    for (auto& v : a.list("network")) {
        joins.push_back(split_network_value(v));
        names.push_back(joins.back().name);
    }
    auto choice = net::parse_network_flags(names);
    s.network = choice.mode;
    std::string ip = a.str("ip"), mac = a.str("mac-address"), ip6 = a.str("ip6");
    auto aliases = a.list("network-alias");
    if (choice.mode != "networks") {
        for (const char* f : {"ip", "ip6", "mac-address"})
            if (!a.str(f).empty()) throw Error(std::string("--") + f + " needs a user-defined network (--network NAME)");
        if (!aliases.empty()) throw Error("--network-alias needs a user-defined network (--network NAME)");
        return;
    }
    // Docker applies --ip and --mac-address to the network --network names;
    // with several, to the first.
    auto& first = joins.front();
    if (!ip.empty()) {
        if (!first.ip.empty()) throw Error("conflicting options: --ip and --network " + first.name + ":ip=");
        first.ip = ip;
    }
    if (!ip6.empty()) {
        if (!first.ip6.empty()) throw Error("conflicting options: --ip6 and --network " + first.name + ":ip6=");
        first.ip6 = ip6;
    }
    if (!mac.empty()) {
        if (!first.mac.empty())
            throw Error("conflicting options: --mac-address and --network " + first.name + ":mac=");
        first.mac = mac;
    }
    for (auto& j : joins) j.aliases.insert(j.aliases.end(), aliases.begin(), aliases.end());
    s.network_joins = std::move(joins);
}

void namespace_mode(const std::string& value, const char* flag, std::string& out) {
    if (value.empty() || value == "private" || value == "shareable") return;
    if (value == "host" || value.rfind("container:", 0) == 0) {
        out = value;  // container:X is resolved to an ID at create
        return;
    }
    throw Error(std::string("--") + flag + " " + value + ": unsupported (private, host, container:NAME|ID)");
}

}  // namespace

const std::vector<cli::Flag>& create_flags() {
    static const std::vector<Flag> flags = {
        list("add-host", 0, "Add a custom host-to-IP mapping (host:ip)"),
        list("annotation", 0, "Add an annotation to the container (key=value)"),
        list("cap-add", 0, "Add Linux capabilities"),
        list("cap-drop", 0, "Drop Linux capabilities"),
        string("cidfile", 0, "Write the container ID to the file"),
        string("cpus", 0, "Number of CPUs", "decimal"),
        {"cpu-shares", 'c', FlagType::Int, "CPU shares (relative weight)", "int"},
        string("cpuset-cpus", 0, "CPUs in which to allow execution (0-3, 0,1)"),
        list("device", 0, "Add a host device to the container"),
        string("gpus", 0, "GPU devices to add to the container (not supported yet: a clear error)", "gpu-request"),
        list("dns", 0, "Set custom DNS servers"),
        list("dns-option", 0, "Set DNS options"),
        list("dns-search", 0, "Set custom DNS search domains"),
        string("entrypoint", 0, "Overwrite the default ENTRYPOINT of the image"),
        list("env", 'e', "Set environment variables"),
        list("env-file", 0, "Read in a file of environment variables"),
        list("expose", 0, "Expose a port or a range of ports (with -P they are published)"),
        list("group-add", 0, "Add additional groups to join"),
        string("hostname", 'h', "Container host name"),
        boolean("init", 0, "Run an init inside the container that forwards signals and reaps processes"),
        boolean("interactive", 'i', "Keep STDIN open even if not attached"),
        string("ip", 0, "Specify a static IPv4 address for the container (user-defined networks)"),
        string("ip6", 0, "Specify a static IPv6 address for the container (networks created with --ipv6)"),
        string("ipc", 0, "IPC namespace to use (private, host, container:NAME|ID)"),
        list("label", 'l', "Set meta data on a container"),
        list("label-file", 0, "Read in a line delimited file of labels"),
        {"log-driver", 0, FlagType::String, "Logging driver for the container", "string", "", Complete::Fixed,
         {"k8s-file", "json-file", "none", "journald"}},
        list("log-opt", 0, "Log driver options (max-size=10m; journald: tag=TEMPLATE)"),
        string("mac-address", 0, "Container MAC address (user-defined networks)"),
        string("memory", 'm', "Memory limit", "bytes"),
        string("memory-swap", 0, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", "bytes"),
        list("mount", 0, "Attach a filesystem mount to the container", "mount"),
        string("name", 0, "Assign a name to the container"),
        {"network", 0, FlagType::List,
         "Connect a container to a network (NAME of a user-defined network, bridge, private, pasta, slirp4netns, none, "
         "host, ns:PATH, container:NAME); the default (bridge, private) is the built-in bridge network as root and a "
         "private network through pasta or slirp4netns rootless",
         "network", "", Complete::Fixed, {"private", "bridge", "pasta", "slirp4netns", "none", "host"}},
        list("network-alias", 0, "Add network-scoped alias for the container (user-defined networks)"),
        string("pid", 0, "PID namespace to use (private, host, container:NAME|ID)"),
        string("pidfile", 0, "Write the container's process ID to the file"),
        {"pids-limit", 0, FlagType::Int, "Tune container pids limit (set -1 for unlimited)", "int"},
        string("platform", 0, "Set platform if server is multi-platform capable"),
        boolean("privileged", 0, "Give extended privileges to this container"),
        list("publish", 'p', "Publish a container's port(s) to the host"),
        boolean("publish-all", 'P', "Publish all exposed ports to random ports"),
        {"pull", 0, FlagType::String, "Pull image before running (always, missing, never, newer)", "string", "missing",
         Complete::Fixed, {"always", "missing", "never", "newer"}},
        boolean("read-only", 0, "Mount the container's root filesystem as read only"),
        string("restart", 0, "Restart policy to apply when a container exits (no, always, on-failure[:N], unless-stopped)"),
        boolean("rm", 0, "Automatically remove the container when it exits"),
        list("security-opt", 0, "Security Options"),
        string("shm-size", 0, "Size of /dev/shm", "bytes"),
        string("stop-signal", 0, "Signal to stop the container"),
        {"stop-timeout", 0, FlagType::Int, "Timeout (in seconds) to stop a container", "int"},
        list("sysctl", 0, "Sysctl options"),
        list("tmpfs", 0, "Mount a tmpfs directory"),
        boolean("tty", 't', "Allocate a pseudo-TTY"),
        list("ulimit", 0, "Ulimit options"),
        string("user", 'u', "Username or UID (format: <name|uid>[:<group|gid>])"),
        string("userns", 0, "User namespace to use (host; rootless: keep-id[:uid=N,gid=N])"),
        string("uts", 0, "UTS namespace to use (private, host, container:NAME|ID)"),
        list("volume", 'v', "Bind mount a volume"),
        list("volumes-from", 0, "Mount volumes from the specified container(s) (CONTAINER[:ro|rw])"),
        string("workdir", 'w', "Working directory inside the container"),
    };
    return flags;
}

const std::vector<cli::Flag>& run_only_flags() {
    static const std::vector<Flag> flags = {
        list("attach", 'a', "Attach to STDIN, STDOUT or STDERR"),
        boolean("detach", 'd', "Run container in background and print container ID"),
        string("detach-keys", 0, "Override the key sequence for detaching a container"),
        {"sig-proxy", 0, FlagType::Bool, "Proxy received signals to the process", "", "true"},
    };
    return flags;
}

// Docker refuses a device it cannot find at create, not at start. A CDI
// name (vendor/class=name, how GPUs are named) has no host path.
std::vector<std::string> checked_devices(const cli::Args& a) {
    if (a.has("gpus"))
        throw Error("--gpus " + a.str("gpus") + ": GPUs are not supported yet (planned: CDI devices, --gpus and "
                    "--device nvidia.com/gpu=all)");
    auto devices = a.list("device");
    for (auto& d : devices) {
        std::string host = d.substr(0, d.find(':'));
        if (host.find('=') != std::string::npos && host.find('/') != std::string::npos && host[0] != '/')
            throw Error("--device " + d + ": CDI devices are not supported yet (planned, with GPUs)");
        if (host.empty() || host[0] != '/') throw Error("--device " + d + ": the host device must be an absolute path");
        // HOST[:CONTAINER][:PERMS], as Docker's ValidateDevice.
        auto parts = str::split(d, ':');
        if (parts.size() > 3) throw Error("invalid --device " + validate::shown(d) + ": expected HOST[:CONTAINER][:PERMISSIONS]");
        auto perms_ok = [](const std::string& p) {
            return !p.empty() && p.size() <= 3 && p.find_first_not_of("rwm") == std::string::npos &&
                   std::count(p.begin(), p.end(), 'r') <= 1 && std::count(p.begin(), p.end(), 'w') <= 1 &&
                   std::count(p.begin(), p.end(), 'm') <= 1;
        };
        if (parts.size() == 3 && !perms_ok(parts[2]))
            throw Error("invalid --device " + validate::shown(d) + ": invalid device mode: " + parts[2]);
        if (parts.size() >= 2 && !(parts.size() == 2 && perms_ok(parts[1])))
            validate::container_path(parts[1], "--device " + validate::shown(d) + ": container path");
        struct stat st;
        if (::stat(host.c_str(), &st) != 0)
            throw Error("--device " + d + ": error gathering device information: " + host + ": " + std::strerror(errno));
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
            throw Error("--device " + d + ": " + host + " is not a device node (nor a directory of them)");
    }
    return devices;
}

namespace {

// The CPUs this process may run on, as Docker's runtime.NumCPU.
unsigned host_cpus() {
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return static_cast<unsigned>(CPU_COUNT(&set));
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

// Docker clamps shares to the kernel's range (2-262144), with a warning;
// a negative weight is a mistake, refused (as Podman's unsigned flag does).
int64_t cpu_shares(const cli::Args& a) {
    auto v = a.opt("cpu-shares");
    if (!v) return 0;
    if (!v->empty() && (*v)[0] == '-')
        throw Error("invalid --cpu-shares " + validate::shown(*v) + ": shares are a weight, never negative");
    int64_t n = validate::integer(*v, "--cpu-shares", 0, INT64_MAX);
    constexpr int64_t kMax = 262144;
    if (n > kMax) {
        std::fprintf(stderr, "WARNING: changing the requested --cpu-shares %lld to the maximum allowed of %lld\n",
                     static_cast<long long>(n), static_cast<long long>(kMax));
        n = kMax;
    }
    return n;
}

// Docker refuses CPUs the host does not have ("Requested CPUs are not
// available"); the kernel would refuse them at start.
std::string checked_cpuset(const std::string& value) {
    auto cpus = validate::cpu_list(value, "--cpuset-cpus");
    int have = ::get_nprocs_conf();
    if (have > 0 && *cpus.rbegin() >= static_cast<unsigned>(have))
        throw Error("invalid --cpuset-cpus " + validate::shown(value) + ": requested CPUs are not available (this host has 0-" +
                    std::to_string(have - 1) + ")");
    return value;
}

}  // namespace

container::ContainerSpec spec_from_args(const cli::Args& a) {
    container::ContainerSpec s;
    s.image_ref = a.positionals.at(0);
    // A malformed name is refused before any lookup or pull (Docker's CLI
    // parses it first too).
    if (!image::looks_like_id(s.image_ref)) image::parse_reference(s.image_ref);
    s.command.assign(a.positionals.begin() + 1, a.positionals.end());
    if (auto ep = a.opt("entrypoint")) {
        s.entrypoint_set = true;
        bool json_form = false;
        auto parsed = image::parse_command(*ep, json_form);
        if (json_form) s.entrypoint = parsed;
        else if (!ep->empty()) s.entrypoint = {*ep};
    }
    for (auto& f : a.list("env-file"))
        for (auto& line : read_lines_file(f, "--env-file")) add_env(s.env, line);
    for (auto& e : a.list("env")) add_env(s.env, e);
    if (auto w = a.opt("workdir"); w && !w->empty()) s.workdir = validate::container_path(*w, "--workdir");
    s.user = a.str("user");
    if (!s.user.empty()) validate::user(s.user);
    if (auto h = a.opt("hostname")) s.hostname = validate::hostname(*h);
    for (auto& f : a.list("label-file"))
        for (auto& [k, v] : key_values(read_lines_file(f, "--label-file"), "label")) s.labels[k] = v;
    for (auto& [k, v] : key_values(a.list("label"), "label")) s.labels[k] = v;
    s.annotations = key_values(a.list("annotation"), "annotation");
    std::vector<std::string> make_sources;  // missing -v sources, made once every flag is checked
    for (auto& v : a.list("volume")) s.mounts.push_back(parse_volume(v, make_sources));
    for (auto& m : a.list("mount")) s.mounts.push_back(parse_mount(m));
    s.volumes_from = a.list("volumes-from");
    for (auto& t : a.list("tmpfs")) {
        auto [dest, opts] = str::split_once(t, ':');
        container::MountSpec m{"tmpfs", "tmpfs", validate::mount_destination(dest, "--tmpfs " + validate::shown(t) + ": path"), {}};
        if (!opts.empty()) m.options = validate::tmpfs_options(opts, t);
        s.mounts.push_back(m);
    }
    s.read_only = a.flag("read-only");
    s.cap_add = a.list("cap-add");
    s.cap_drop = a.list("cap-drop");
    for (auto& c : s.cap_add) validate::capability(c, "--cap-add");
    for (auto& c : s.cap_drop) validate::capability(c, "--cap-drop");
    s.privileged = a.flag("privileged");
    for (auto& opt : a.list("security-opt")) {
        auto [k, v] = str::split_once(opt, opt.find('=') != std::string::npos ? '=' : ':');
        if (k == "no-new-privileges") {
            if (!v.empty() && v != "true" && v != "false") throw Error("invalid --security-opt " + opt);
            s.no_new_privileges = v != "false";
        } else if (k == "seccomp") {
            if (v == "unconfined") {
                s.seccomp_profile = "unconfined";
            } else {
                s.seccomp_profile = fs::read_file(v);
                // A file that is no profile fails here, not at every start.
                auto j = Json::parse(s.seccomp_profile, nullptr, false);
                if (j.is_discarded() || !j.is_object())
                    throw Error("invalid --security-opt " + validate::shown(opt) + ": not a JSON seccomp profile");
            }
        } else if (k == "label" && v == "disable") {
            s.label_disable = true;
        } else {
            throw Error("--security-opt " + opt +
                        ": unsupported (no-new-privileges, seccomp=unconfined|PROFILE, label=disable)");
        }
    }
    s.ulimits = a.list("ulimit");
    for (auto& u : s.ulimits) validate::ulimit(u);
    if (auto m = a.opt("memory")) s.memory = str::parse_ram_bytes(*m);
    if (auto m = a.opt("memory-swap")) s.memory_swap = *m == "-1" ? -1 : str::parse_ram_bytes(*m);
    // Docker's checks: the kernel would refuse these at start, less clearly.
    if (s.memory > 0 && s.memory < 6 * 1024 * 1024) throw Error("Minimum memory limit allowed is 6MB");
    if (s.memory_swap > 0 && s.memory == 0)
        throw Error("You should always set the Memory limit when using Memoryswap limit, see usage");
    if (s.memory_swap > 0 && s.memory_swap < s.memory)
        throw Error("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (auto c = a.opt("cpus")) s.cpus = validate::cpus(*c, host_cpus());
    s.cpu_shares = cpu_shares(a);
    if (auto c = a.opt("cpuset-cpus")) s.cpuset_cpus = checked_cpuset(*c);
    s.pids_limit = a.integer("pids-limit");
    // Rootless without a delegated cgroup v2 the runtime cannot apply
    // limits: say so here, where the user sees it (Podman warns too).
    bool limits = s.memory || s.memory_swap || s.cpus > 0 || s.cpu_shares || !s.cpuset_cpus.empty() || s.pids_limit;
    if (limits && (::geteuid() != 0 || host::in_user_namespace())) {
        auto cg = host::cgroups(true);
        if (!cg.limits_usable)
            std::fprintf(stderr, "WARNING: resource limits are ignored for this rootless container: %s\n", cg.why_not.c_str());
    }
    if (auto m = a.opt("shm-size")) s.shm_size = str::parse_ram_bytes(*m);
    s.devices = checked_devices(a);
    s.group_add = a.list("group-add");
    for (auto& g : s.group_add)
        if (!g.empty() && g.find_first_not_of("0123456789") == std::string::npos) validate::id(g, "--group-add");
    s.sysctls = key_values(a.list("sysctl"), "sysctl");
    for (auto& [k, v] : s.sysctls) validate::sysctl_key(k);
    std::string userns = a.str("userns");
    if (!userns.empty() && userns != "host") {
        if (!container::is_nested_userns_mode(userns))
            throw Error("--userns " + userns + ": unsupported (host, keep-id[:uid=N,gid=N])");
        container::parse_userns_mode(userns);
        if (::geteuid() == 0 && !host::in_user_namespace()) throw Error("keep-id is only supported in rootless mode");
    }
    s.userns = userns;
    s.init = a.flag("init");
    if (auto r = a.opt("restart")) s.restart = parse_restart(*r);
    s.log_driver = a.str("log-driver");
    if (!s.log_driver.empty() && s.log_driver != "k8s-file" && s.log_driver != "json-file" && s.log_driver != "none" &&
        s.log_driver != "journald")
        throw Error("invalid --log-driver \"" + s.log_driver + "\": expected k8s-file, json-file, journald or none");
    for (auto& [k, v] : key_values(a.list("log-opt"), "log option")) {
        if (k != "max-size" && k != "tag") throw Error("unsupported --log-opt \"" + k + "\" (max-size, tag)");
        if (k == "max-size") str::parse_ram_bytes(v);  // read again by the monitor at each start
        if (k == "tag") {
            if (s.log_driver != "journald")
                throw Error("--log-opt tag is used by the journald log driver only: add --log-driver journald");
            format::Template::parse(v);  // a bad template fails here, not in the monitor
        }
        s.log_opts[k] = v;
    }
    namespace_mode(a.str("ipc"), "ipc", s.ipc);
    namespace_mode(a.str("pid"), "pid", s.pid);
    namespace_mode(a.str("uts"), "uts", s.uts);
    if (!s.hostname.empty() && (s.uts == "host" || s.uts.rfind("container:", 0) == 0))
        throw Error("conflicting options: --hostname and --uts " + s.uts + " (the hostname is the shared namespace's)");
    parse_networks(a, s);
    s.publish = a.list("publish");
    s.publish_all = a.flag("publish-all");
    s.expose = a.list("expose");
    net::check_port_flags(s.network, s.publish, s.expose);
    // runc's rule: the host's own network sysctls are not one container's.
    for (auto& [k, v] : s.sysctls)
        if (s.network == "host" && (k.rfind("net.", 0) == 0 || k.rfind("net/", 0) == 0))
            throw Error("invalid --sysctl " + validate::shown(k) + ": not allowed with --network host (the host's own)");
    s.tty = a.flag("tty");
    s.interactive = a.flag("interactive");
    s.stop_signal = a.str("stop-signal");
    // Checked now: a bad one would make every later `stop` fail.
    if (!s.stop_signal.empty()) validate::signal(s.stop_signal);
    if (auto t = a.opt("stop-timeout")) s.stop_timeout = static_cast<int>(validate::integer(*t, "--stop-timeout", -1, INT32_MAX));
    s.remove = a.flag("rm");
    if (s.remove && s.restart.name != "no") throw Error("conflicting options: --restart and --rm");
    s.cidfile = a.str("cidfile");
    s.pidfile = a.str("pidfile");
    // The monitor writes it at each start: its directory must be there.
    if (!s.pidfile.empty() && !fs::is_dir(fs::dirname(absolute(s.pidfile))))
        throw Error("invalid --pidfile " + validate::shown(s.pidfile) + ": its directory does not exist");
    for (auto& d : a.list("dns")) s.dns.push_back(validate::ip(d, "--dns"));
    for (auto& d : a.list("dns-search")) s.dns_search.push_back(validate::dns_search(d));
    s.dns_options = a.list("dns-option");
    for (auto& o : s.dns_options) validate::printable(o, "--dns-option");
    for (auto& h : a.list("add-host")) s.add_hosts.push_back(validate::extra_host(h));
    // Only a network of skiff's own (a helper's or a bridge's) has a gateway
    // to the host: say so now, not at every start.
    bool own_network = s.network != "none" && s.network != "host" && s.network.rfind("ns:", 0) != 0 &&
                       s.network.rfind("container:", 0) != 0;
    for (auto& h : s.add_hosts)
        if (!own_network && h.ends_with(":host-gateway"))
            throw Error("invalid --add-host " + validate::shown(h) + ": host-gateway needs a private network, not --network " +
                        s.network + " (no host address to map)");
    // run's own flags, checked before the container is made (create has none).
    if (auto keys = a.opt("detach-keys")) container::parse_detach_keys(*keys);
    for (auto& stream : a.list("attach"))
        if (auto l = str::lower(stream); l != "stdin" && l != "stdout" && l != "stderr")
            throw Error("invalid --attach " + validate::shown(stream) + ": expected STDIN, STDOUT or STDERR");
    for (auto& src : make_sources) fs::make_dirs(src, 0755);
    return s;
}

}  // namespace skiff::commands
