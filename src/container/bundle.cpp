#include "container/bundle.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "container/keepid.hpp"
#include "container/privileged.hpp"
#include "net/etc_files.hpp"
#include "net/private_net.hpp"
#include "oci/defaults.hpp"
#include "oci/seccomp_default.hpp"
#include "util/error.hpp"
#include "util/host.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/validate.hpp"

namespace skiff::container {

namespace {

// One list for the checks at create and the config here.
const std::vector<std::string>& all_capabilities() { return validate::capability_names(); }

std::string cap_name(std::string c) {
    c = str::upper(c);
    if (c.rfind("CAP_", 0) != 0) c = "CAP_" + c;
    return c;
}

// Every capability this process may hand on (the list is in bit order).
std::vector<std::string> all_bounded() {
    uint64_t bnd = bounding_set();
    std::vector<std::string> out;
    for (size_t i = 0; i < all_capabilities().size(); ++i)
        if (bnd >> i & 1) out.push_back(all_capabilities()[i]);
    return out;
}

std::vector<std::string> capabilities(const ContainerSpec& s, const std::vector<std::string>& defaults) {
    if (s.privileged) return all_bounded();
    std::vector<std::string> caps;
    for (auto& raw : defaults) {
        std::string c = cap_name(raw);
        if (std::find(all_capabilities().begin(), all_capabilities().end(), c) == all_capabilities().end())
            throw Error("unknown capability \"" + raw + "\" in skiff.conf default_capabilities");
        if (std::find(caps.begin(), caps.end(), c) == caps.end()) caps.push_back(c);
    }
    for (auto& raw : s.cap_add) {
        if (str::upper(raw) == "ALL") return all_bounded();
        std::string c = cap_name(raw);
        if (std::find(all_capabilities().begin(), all_capabilities().end(), c) == all_capabilities().end())
            throw Error("unknown capability \"" + raw + "\" in --cap-add");
        if (std::find(caps.begin(), caps.end(), c) == caps.end()) caps.push_back(c);
    }
    for (auto& raw : s.cap_drop) {
        if (str::upper(raw) == "ALL") {
            caps.clear();
            continue;
        }
        std::string c = cap_name(raw);
        if (std::find(all_capabilities().begin(), all_capabilities().end(), c) == all_capabilities().end())
            throw Error("unknown capability \"" + raw + "\" in --cap-drop");
        caps.erase(std::remove(caps.begin(), caps.end(), c), caps.end());
    }
    return caps;
}

// Checked at create already (validate::ulimit); a record from an older
// skiff is checked again here.
Json rlimit_entry(const std::string& spec) {
    auto u = validate::ulimit(spec);
    return {{"type", "RLIMIT_" + str::upper(u.name)}, {"hard", u.hard}, {"soft", u.soft}};
}

Json bind_mount(const std::string& src, const std::string& dst, std::vector<std::string> opts) {
    return {{"destination", dst}, {"type", "bind"}, {"source", src}, {"options", opts}};
}

struct DeviceNode {
    std::string host;
    Json entry;  // of linux.devices
};

DeviceNode device_node(const std::string& host, const std::string& dest, const struct stat& st,
                       const std::string& perms, Json& rules) {
    std::string type = S_ISCHR(st.st_mode) ? "c" : "b";
    rules.push_back({{"allow", true}, {"type", type}, {"major", major(st.st_rdev)}, {"minor", minor(st.st_rdev)},
                     {"access", perms}});
    return {host,
            {{"path", dest}, {"type", type}, {"major", major(st.st_rdev)}, {"minor", minor(st.st_rdev)},
             {"fileMode", st.st_mode & 07777}, {"uid", 0}, {"gid", 0}}};
}

bool is_device(const struct stat& st) { return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode); }

// One --device: a node, or every node under a directory (Docker's
// --device /dev/snd), each at its place under the destination.
std::vector<DeviceNode> device_nodes(const std::string& spec, Json& rules) {
    auto parts = str::split(spec, ':');
    std::string host = parts[0];
    std::string dest = parts.size() > 1 && parts[1][0] == '/' ? parts[1] : host;
    std::string perms = parts.size() > 2 ? parts[2] : (parts.size() == 2 && parts[1][0] != '/' ? parts[1] : "rwm");
    struct stat st;
    if (::stat(host.c_str(), &st) < 0) throw_errno("--device " + host);
    if (is_device(st)) return {device_node(host, dest, st, perms, rules)};
    if (!S_ISDIR(st.st_mode)) throw Error("--device " + host + ": not a device node");
    std::vector<DeviceNode> out;
    std::error_code ec;
    // Unreadable subdirectories are skipped, as Docker skips them.
    for (auto it = std::filesystem::recursive_directory_iterator(
             host, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        std::string path = it->path().string();
        struct stat node;
        if (::lstat(path.c_str(), &node) == 0 && is_device(node))
            out.push_back(device_node(path, (std::filesystem::path(dest) / it->path().lexically_relative(host)).string(),
                                      node, perms, rules));
    }
    if (ec) throw Error("--device " + host + ": " + ec.message());
    if (out.empty()) throw Error("--device " + host + ": no device nodes in the directory");
    return out;
}

std::vector<std::string> mount_options(const MountSpec& m) {
    std::vector<std::string> out;
    for (auto& o : m.options) {
        // SELinux relabel requests: nothing to relabel without SELinux.
        if (o == "z" || o == "Z") continue;
        out.push_back(o);
    }
    return out;
}

}  // namespace

std::vector<std::string> container_argv(const ContainerSpec& spec, const Json& image_config) {
    std::vector<std::string> entrypoint;
    if (spec.entrypoint_set) entrypoint = spec.entrypoint;
    else if (image_config.contains("Entrypoint") && image_config["Entrypoint"].is_array())
        entrypoint = image_config["Entrypoint"].get<std::vector<std::string>>();
    std::vector<std::string> cmd = spec.command;
    // Docker: a new entrypoint drops the image's Cmd; no command given uses it.
    if (cmd.empty() && !spec.entrypoint_set && image_config.contains("Cmd") && image_config["Cmd"].is_array())
        cmd = image_config["Cmd"].get<std::vector<std::string>>();
    std::vector<std::string> argv = entrypoint;
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    if (argv.empty()) throw Error("no command specified: the image has no Cmd or Entrypoint; give a command");
    return argv;
}

std::vector<std::string> container_env(const ContainerSpec& spec, const Json& image_config, const std::string& hostname,
                                       const std::string& home) {
    std::vector<std::string> env;
    auto set = [&](const std::string& kv) {
        std::string key = kv.substr(0, kv.find('='));
        for (auto& e : env)
            if (e.substr(0, e.find('=')) == key) {
                e = kv;
                return;
            }
        env.push_back(kv);
    };
    set("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (image_config.contains("Env") && image_config["Env"].is_array())
        for (auto& e : image_config["Env"]) set(e.get<std::string>());
    set("HOSTNAME=" + hostname);
    if (spec.tty) set("TERM=xterm");
    bool has_home = false;
    for (auto& e : spec.env) has_home |= e.rfind("HOME=", 0) == 0;
    for (auto& e : env) has_home |= e.rfind("HOME=", 0) == 0;
    if (!has_home) set("HOME=" + home);
    for (auto& e : spec.env) set(e);
    return env;
}

std::string container_hostname(const Container& c) {
    if (!c.spec.hostname.empty()) return c.spec.hostname;
    if (c.spec.network == "host" || c.spec.uts == "host") return host::hostname();
    return c.id.substr(0, 12);
}

void write_etc_files(const Container& c, const std::string& dir, const net::EtcAddresses& a) {
    net::EtcFiles e;
    e.hostname = container_hostname(c);
    e.name = c.name;
    e.host_network = c.spec.network == "host";
    e.container_ip = a.ip;
    e.container_ip6 = a.ip6;
    e.host_gateway = a.host_gateway;
    e.dns_forward = a.dns_forward;
    e.ipv4_only = a.ipv4_only;
    e.dns_responders = a.dns_responders;
    e.dns = c.spec.dns;
    e.dns_search = c.spec.dns_search;
    e.dns_options = c.spec.dns_options;
    e.add_hosts = c.spec.add_hosts;
    net::write_etc_files(e, dir);
}

std::string find_init_binary() {
    std::string self = self_exe();
    std::string dir = fs::dirname(self);
    for (const char* rel : {"/skiff-init", "/src/init/skiff-init", "/../libexec/skiff/skiff-init",
                            "/../lib/skiff/skiff-init"})
        if (::access((dir + rel).c_str(), X_OK) == 0) return dir + rel;
    throw Error("--init: skiff-init was not found next to " + std::string(self) + " or in ../libexec/skiff");
}

Json make_oci_config(const BundleInputs& in) {
    const Container& c = *in.container;
    const ContainerSpec& s = c.spec;
    Json cfg = oci::default_spec(false);
    std::string hostname = container_hostname(c);

    auto& p = cfg["process"];
    p["terminal"] = s.tty;
    p["args"] = container_argv(s, in.image_config);
    p["env"] = container_env(s, in.image_config, hostname, in.user.home);
    std::string cwd = !s.workdir.empty() ? s.workdir : in.image_config.value("WorkingDir", "");
    p["cwd"] = cwd.empty() ? "/" : cwd;
    p["user"] = {{"uid", in.user.uid}, {"gid", in.user.gid}};
    if (!in.user.additional_gids.empty()) p["user"]["additionalGids"] = in.user.additional_gids;
    auto caps = capabilities(s, in.default_capabilities);
    // A non-root process gets no effective capabilities, as Docker does.
    Json capset = {{"bounding", caps}, {"permitted", caps}, {"effective", caps}};
    if (in.user.uid != 0) capset = {{"bounding", caps}, {"permitted", Json::array()}, {"effective", Json::array()}};
    p["capabilities"] = capset;
    // The profile follows the container's capabilities, as Docker's does:
    // --cap-add SYS_ADMIN also opens mount(2), --cap-drop closes what it guards.
    cfg["linux"]["seccomp"] = oci::default_seccomp(caps);
    p["noNewPrivileges"] = s.no_new_privileges;
    Json rlimits = Json::array();
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0)
        rlimits.push_back({{"type", "RLIMIT_NOFILE"}, {"hard", nofile.rlim_max}, {"soft", nofile.rlim_max}});
    for (auto& u : s.ulimits) {
        Json e = rlimit_entry(u);
        for (auto it = rlimits.begin(); it != rlimits.end();)
            it = (*it)["type"] == e["type"] ? rlimits.erase(it) : it + 1;
        rlimits.push_back(e);
    }
    p["rlimits"] = rlimits;

    cfg["hostname"] = hostname;
    cfg["root"] = {{"path", in.rootfs}, {"readonly", s.read_only}};

    auto& linux = cfg["linux"];
    Json ns = Json::array();
    auto want = [&](const char* type, const std::string& mode) {
        if (mode == "host") return;
        if (mode.rfind("container:", 0) == 0) {
            auto it = in.join_pids.find(type);
            if (it == in.join_pids.end()) throw Error(std::string("--") + type + " " + mode + ": no process to join");
            ns.push_back({{"type", type}, {"path", "/proc/" + std::to_string(it->second) + "/ns/" + type}});
            return;
        }
        ns.push_back({{"type", type}});
    };
    want("pid", s.pid);
    want("ipc", s.ipc);
    want("uts", s.uts);
    ns.push_back({{"type", "mount"}});
    if (!in.netns_path.empty()) ns.push_back({{"type", "network"}, {"path", in.netns_path}});
    else if (s.network.rfind("container:", 0) == 0) {
        auto it = in.join_pids.find("network");
        if (it == in.join_pids.end()) throw Error("--network " + s.network + ": no process to join");
        ns.push_back({{"type", "network"}, {"path", "/proc/" + std::to_string(it->second) + "/ns/net"}});
    } else if (s.network != "host") ns.push_back({{"type", "network"}});
    linux["namespaces"] = ns;

    // Mounts: defaults, then the generated /etc files, then the user's.
    Json mounts = Json::array();
    for (auto& m : cfg["mounts"]) {
        std::string dest = m["destination"];
        // proc may only be mounted by the owner of the PID namespace:
        // rootless with the host's, the host's /proc is bound instead.
        if (dest == "/proc" && in.userns && s.pid == "host") {
            mounts.push_back(bind_mount("/proc", "/proc", {"rbind", "nosuid", "noexec", "nodev"}));
            continue;
        }
        if (dest == "/sys" && in.userns && s.network == "host") {
            mounts.push_back(bind_mount("/sys", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
            continue;
        }
        if (dest == "/dev/pts" && in.userns && !in.full_id_map) {
            Json opts = Json::array();
            for (auto& o : m["options"])
                if (o != "gid=5") opts.push_back(o);
            m["options"] = opts;
        }
        if (dest == "/dev/shm" && s.shm_size > 0) {
            Json opts = Json::array();
            for (auto& o : m["options"])
                if (o.get<std::string>().rfind("size=", 0) != 0) opts.push_back(o);
            opts.push_back("size=" + std::to_string(s.shm_size));
            m["options"] = opts;
        }
        mounts.push_back(m);
    }
    for (const char* f : {"hosts", "hostname", "resolv.conf"})
        mounts.push_back(bind_mount(in.etc_dir + "/" + f, std::string("/etc/") + f, {"rbind", "rprivate"}));
    for (auto& m : s.mounts) {
        if (m.type == "tmpfs") {
            std::vector<std::string> opts = {"nosuid", "nodev"};
            for (auto& o : mount_options(m)) opts.push_back(o);
            mounts.push_back({{"destination", m.destination}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", opts}});
        } else {
            std::vector<std::string> opts = {"rbind"};
            for (auto& o : mount_options(m)) opts.push_back(o);
            mounts.push_back(bind_mount(m.source, m.destination, opts));
        }
    }
    if (s.init) {
        mounts.push_back(bind_mount(find_init_binary(), "/dev/init", {"bind", "ro"}));
        Json args = Json::array({"/dev/init", "--"});
        for (auto& a : p["args"]) args.push_back(a);
        p["args"] = args;
    }

    Json rules = Json::array();
    if (!in.userns) rules.push_back({{"allow", false}, {"access", "rwm"}});
    Json devices = Json::array();
    for (auto& d : s.devices)
        for (auto& node : device_nodes(d, rules)) {
            // A user namespace cannot mknod: the host's node is bound in instead.
            if (in.userns) mounts.push_back(bind_mount(node.host, node.entry["path"], {"bind"}));
            else devices.push_back(node.entry);
        }
    cfg["mounts"] = mounts;
    if (!devices.empty()) linux["devices"] = devices;
    Json resources = Json::object();
    if (!rules.empty()) resources["devices"] = rules;
    if (s.memory > 0) resources["memory"]["limit"] = s.memory;
    if (s.memory_swap != 0) resources["memory"]["swap"] = s.memory_swap;
    if (s.cpus > 0) {
        resources["cpu"]["period"] = 100000;
        resources["cpu"]["quota"] = static_cast<int64_t>(s.cpus * 100000);
    }
    if (s.cpu_shares > 0) resources["cpu"]["shares"] = s.cpu_shares;
    if (!s.cpuset_cpus.empty()) resources["cpu"]["cpus"] = s.cpuset_cpus;
    if (s.pids_limit != 0) resources["pids"]["limit"] = s.pids_limit;
    if (resources.empty()) linux.erase("resources");
    else linux["resources"] = resources;

    if (!s.sysctls.empty()) linux["sysctl"] = s.sysctls;
    if (s.privileged) {
        linux.erase("maskedPaths");
        linux.erase("readonlyPaths");
        linux.erase("seccomp");
        apply_privileged(cfg, in.userns);
    }
    if (s.seccomp_profile == "unconfined") linux.erase("seccomp");
    else if (!s.seccomp_profile.empty()) linux["seccomp"] = Json::parse(s.seccomp_profile);
    Json annotations = Json::object();
    for (auto& [k, v] : s.annotations) annotations[k] = v;
    if (!annotations.empty()) cfg["annotations"] = annotations;
    if (is_nested_userns_mode(s.userns)) apply_nested_userns(cfg, in);
    // The hostname belongs to the container whose UTS namespace is joined.
    // (Erased last: Json is ordered, erasing moves the other members.)
    if (s.uts.rfind("container:", 0) == 0) cfg.erase("hostname");
    return cfg;
}

}  // namespace skiff::container
