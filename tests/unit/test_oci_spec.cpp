// config.json parsing and validation of the built-in runtime, its defaults
// and the small pure helpers (mount options, state JSON, ids).
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "oci/defaults.hpp"
#include "oci/mounts.hpp"
#include "oci/seccomp_default.hpp"
#include "oci/spec.hpp"
#include "oci/state.hpp"
#include "util/error.hpp"

using namespace skiff;
using namespace skiff::oci;

namespace {

Json minimal() {
    return Json::parse(R"({
        "ociVersion": "1.0.2",
        "root": {"path": "rootfs"},
        "process": {"args": ["sh"], "cwd": "/"},
        "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}]}
    })");
}

// The message parse_spec throws for `j`, or "" when it parses.
std::string error_of(const Json& j) {
    try {
        parse_spec(j);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a minimal config parses", "[oci]") {
    Spec s = parse_spec(minimal());
    CHECK(s.oci_version == "1.0.2");
    CHECK(s.root_path == "rootfs");
    REQUIRE(s.process);
    CHECK(s.process->args == std::vector<std::string>{"sh"});
    CHECK(s.linux.has_new_ns(NsType::pid));
    CHECK_FALSE(s.linux.has_new_ns(NsType::net));
}

TEST_CASE("errors name the offending field", "[oci]") {
    Json j = minimal();
    j.erase("ociVersion");
    CHECK(error_of(j) == "config.json: ociVersion: is required");

    j = minimal();
    j["ociVersion"] = "2.0.0";
    CHECK(error_of(j).find("config.json: ociVersion: \"2.0.0\" is not supported") == 0);

    j = minimal();
    j["process"]["args"] = Json::array();
    CHECK(error_of(j) == "config.json: process.args: must be a non-empty array");

    j = minimal();
    j["process"]["args"] = "sh";
    CHECK(error_of(j) == "config.json: process.args: must be a non-empty array");

    j = minimal();
    j["process"]["args"] = {"sh", 3};
    CHECK(error_of(j) == "config.json: process.args[1]: must be a string");

    j = minimal();
    j["process"]["cwd"] = "tmp";
    CHECK(error_of(j) == "config.json: process.cwd: must be an absolute path");

    j = minimal();
    j["process"]["env"] = {"A=1", "NOEQUALS"};
    CHECK(error_of(j) == "config.json: process.env[1]: \"NOEQUALS\" is not KEY=VALUE");

    j = minimal();
    j["process"]["user"] = {{"uid", -1}};
    CHECK(error_of(j) == "config.json: process.user.uid: must not be negative");

    j = minimal();
    j["root"].erase("path");
    CHECK(error_of(j) == "config.json: root.path: is required");
}

TEST_CASE("capabilities and rlimits are checked", "[oci]") {
    Json j = minimal();
    j["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_FLY"}}};
    CHECK(error_of(j) == "config.json: process.capabilities.bounding[1]: unknown capability \"CAP_FLY\"");

    j = minimal();
    j["process"]["capabilities"] = {{"effective", {"CAP_KILL", "CAP_SYS_ADMIN"}}};
    Spec s = parse_spec(j);
    REQUIRE(s.process->capabilities);
    CHECK(s.process->capabilities->effective == std::vector<int>{5, 21});
    CHECK(s.process->capabilities->bounding.empty());

    j = minimal();
    j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 2048}, {"hard", 1024}}};
    CHECK(error_of(j) == "config.json: process.rlimits[0]: soft limit is greater than the hard limit");

    j = minimal();
    j["process"]["rlimits"] = {{{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}}};
    CHECK(error_of(j) == "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");

    j = minimal();
    j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}},
                               {{"type", "RLIMIT_NOFILE"}, {"soft", 2}, {"hard", 2}}};
    CHECK(error_of(j) == "config.json: process.rlimits[1].type: duplicate rlimit RLIMIT_NOFILE");

    j = minimal();
    j["process"]["oomScoreAdj"] = 2000;
    CHECK(error_of(j) == "config.json: process.oomScoreAdj: must be between -1000 and 1000");
}

TEST_CASE("namespaces and id mappings are consistent", "[oci]") {
    Json j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "cheese"}});
    CHECK(error_of(j) == "config.json: linux.namespaces[2].type: unknown namespace type \"cheese\"");

    j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "pid"}});
    CHECK(error_of(j) == "config.json: linux.namespaces[2].type: duplicate namespace \"pid\"");

    j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "relative/ns"}});
    CHECK(error_of(j) == "config.json: linux.namespaces[2].path: must be an absolute path");

    j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "user"}});
    CHECK(error_of(j) == "config.json: linux.uidMappings: is required when a new user namespace is created");

    j = minimal();
    j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    CHECK(error_of(j) == "config.json: linux.uidMappings: requires a new user namespace in linux.namespaces");

    j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "user"}});
    j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}};
    j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    CHECK(error_of(j) == "config.json: linux.uidMappings[0].size: must be greater than 0");

    j = minimal();
    j["hostname"] = "box";
    CHECK(error_of(j) == "config.json: hostname: requires a new uts namespace");
    j["linux"]["namespaces"].push_back({{"type", "uts"}});
    CHECK(error_of(j).empty());

    j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "mount"}, {"path", "/proc/1/ns/mnt"}});
    j["linux"]["namespaces"].erase(0);
    CHECK(error_of(j) == "config.json: linux.namespaces: joining an existing mount namespace is not supported");
}

TEST_CASE("mounts, hooks and devices are checked", "[oci]") {
    Json j = minimal();
    j["mounts"] = {{{"destination", "tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}}};
    CHECK(error_of(j) == "config.json: mounts[0].destination: must be an absolute path");

    j = minimal();
    j["mounts"] = {{{"destination", "/data"}, {"options", {"rbind"}}}};
    CHECK(error_of(j) == "config.json: mounts[0].source: is required for a bind mount");

    j = minimal();
    j["mounts"] = {{{"destination", "/data"}, {"source", "/x"}}};
    CHECK(error_of(j) == "config.json: mounts[0].type: is required unless the mount is a bind mount");

    j = minimal();
    j["mounts"] = {{{"destination", "/data"}, {"type", "bind"}, {"source", "/x"}, {"uidMappings", Json::array({{{"containerID", 0}, {"hostID", 1}, {"size", 1}}})}}};
    CHECK(error_of(j).find("id-mapped mounts") != std::string::npos);

    j = minimal();
    j["hooks"] = {{"prestart", {{{"path", "hook"}}}}};
    CHECK(error_of(j) == "config.json: hooks.prestart[0].path: must be an absolute path");

    j = minimal();
    j["hooks"] = {{"poststop", {{{"path", "/bin/true"}, {"timeout", 0}}}}};
    CHECK(error_of(j) == "config.json: hooks.poststop[0].timeout: must be a positive integer");

    j = minimal();
    j["hooks"] = {{"createRuntime", {{{"path", "/bin/true"}, {"args", {"true", "x"}}, {"timeout", 5}}}}};
    Spec s = parse_spec(j);
    REQUIRE(s.hooks.create_runtime.size() == 1);
    CHECK(s.hooks.create_runtime[0].timeout == 5);
    CHECK(s.hooks.create_runtime[0].args.size() == 2);

    j = minimal();
    j["linux"]["devices"] = {{{"type", "x"}, {"path", "/dev/x"}}};
    CHECK(error_of(j) == "config.json: linux.devices[0].type: must be one of c, b, u, p");

    j = minimal();
    j["linux"]["devices"] = {{{"type", "c"}, {"path", "/dev/x"}, {"minor", 1}}};
    CHECK(error_of(j) == "config.json: linux.devices[0].major: is required for device type c");
}

TEST_CASE("seccomp follows the runtime-spec schema", "[oci]") {
    Json j = minimal();
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_MAYBE"}};
    CHECK(error_of(j) == "config.json: linux.seccomp.defaultAction: unknown action \"SCMP_ACT_MAYBE\"");

    j = minimal();
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}};
    CHECK(error_of(j) == "config.json: linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"");

    j = minimal();
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ALLOW"}, {"errnoRet", 1}}}}};
    CHECK(error_of(j) ==
          "config.json: linux.seccomp.syscalls[0].errnoRet: is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");

    j = minimal();
    j["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls", {{{"names", {"personality"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ALMOST"}}}}}}}};
    CHECK(error_of(j) == "config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ALMOST\"");

    j = minimal();
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
    CHECK(error_of(j) == "config.json: linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used");

    j = minimal();
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                             {"defaultErrnoRet", 38},
                             {"flags", {"SECCOMP_FILTER_FLAG_LOG"}},
                             {"syscalls",
                              {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
                               {{"names", {"socket"}},
                                {"action", "SCMP_ACT_ERRNO"},
                                {"errnoRet", 97},
                                {"args", {{{"index", 0}, {"value", 40}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    Spec s = parse_spec(j);
    REQUIRE(s.linux.seccomp);
    CHECK(s.linux.seccomp->default_errno_ret == 38u);
    REQUIRE(s.linux.seccomp->syscalls.size() == 2);
    CHECK(s.linux.seccomp->syscalls[1].errno_ret == 97u);
    CHECK(s.linux.seccomp->syscalls[1].args[0].value == 40u);
}

TEST_CASE("sysctls must belong to a namespace of the container", "[oci]") {
    Json j = minimal();
    j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    CHECK(error_of(j) == "config.json: linux.sysctl.net.ipv4.ip_forward: requires a network namespace");
    j["linux"]["namespaces"].push_back({{"type", "network"}});
    CHECK(error_of(j).empty());

    j = minimal();
    j["linux"]["sysctl"] = {{"vm.swappiness", "10"}};
    CHECK(error_of(j) == "config.json: linux.sysctl.vm.swappiness: is not namespaced and would change the host");

    j = minimal();
    j["linux"]["sysctl"] = {{"kernel.shmmax", "1000"}};
    CHECK(error_of(j) == "config.json: linux.sysctl.kernel.shmmax: requires an ipc namespace");
}

TEST_CASE("resources are parsed and checked", "[oci]") {
    Json j = minimal();
    j["linux"]["resources"] = {{"memory", {{"swappiness", 200}}}};
    CHECK(error_of(j) == "config.json: linux.resources.memory.swappiness: must be between 0 and 100");

    j = minimal();
    j["linux"]["resources"] = {{"memory", {{"limit", 1 << 20}, {"swap", 1 << 19}}}};
    CHECK(error_of(j).find("config.json: linux.resources.memory.swap:") == 0);

    j = minimal();
    j["linux"]["resources"] = {{"devices", {{{"allow", false}, {"access", "rwx"}}}}};
    CHECK(error_of(j) == "config.json: linux.resources.devices[0].access: must be a combination of r, w and m");

    j = minimal();
    j["linux"]["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    Spec s = parse_spec(j);
    REQUIRE(s.linux.resources);
    CHECK_FALSE(s.linux.resources->has_limits());

    j = minimal();
    j["linux"]["resources"] = {{"pids", {{"limit", 10}}}, {"cpu", {{"shares", 512}, {"cpus", "0"}}}};
    s = parse_spec(j);
    CHECK(s.linux.resources->has_limits());
    CHECK(s.linux.resources->pids_limit == 10);
    CHECK(s.linux.resources->cpu_shares == 512u);
    CHECK(s.linux.resources->cpu_cpus == "0");
}

TEST_CASE("unknown properties are ignored", "[oci]") {
    Json j = minimal();
    j["org.example.extension"] = {{"anything", true}};
    j["process"]["somethingNew"] = 1;
    CHECK(error_of(j).empty());
}

TEST_CASE("the default spec is Podman's and valid", "[oci]") {
    for (bool rootless : {false, true}) {
        Json j = default_spec(rootless);
        Spec s = parse_spec(j);
        REQUIRE(s.process);
        REQUIRE(s.process->capabilities);
        CHECK(s.process->capabilities->bounding.size() == 11);
        CHECK(j["process"]["capabilities"]["bounding"][0] == "CAP_CHOWN");
        CHECK(s.process->no_new_privileges);
        REQUIRE(s.linux.seccomp);
        CHECK(s.linux.seccomp->default_action == "SCMP_ACT_ERRNO");
        CHECK(s.linux.has_new_ns(NsType::user) == rootless);
        CHECK(s.linux.has_new_ns(NsType::net) == !rootless);
        CHECK(std::find(s.linux.masked_paths.begin(), s.linux.masked_paths.end(), "/proc/kcore") !=
              s.linux.masked_paths.end());
        CHECK(std::find(s.linux.readonly_paths.begin(), s.linux.readonly_paths.end(), "/proc/sys") !=
              s.linux.readonly_paths.end());
        bool sys_bind = false;
        for (auto& m : s.mounts)
            if (m.destination == "/sys") sys_bind = m.type == "none";
        CHECK(sys_bind == rootless);
    }
}

TEST_CASE("the default seccomp profile follows moby's guards", "[oci]") {
    auto names_of = [](const Json& profile, const std::string& action) {
        std::vector<std::string> out;
        for (auto& r : profile["syscalls"])
            if (r["action"] == action && !r.contains("args"))
                for (auto& n : r["names"]) out.push_back(n.get<std::string>());
        return out;
    };
    auto has = [](const std::vector<std::string>& v, const char* n) { return std::find(v.begin(), v.end(), n) != v.end(); };
    Json plain = default_seccomp(default_capabilities());
    auto allowed = names_of(plain, "SCMP_ACT_ALLOW");
    CHECK(has(allowed, "read"));
    CHECK(has(allowed, "chroot"));  // CAP_SYS_CHROOT is a default capability
    CHECK_FALSE(has(allowed, "mount"));
    CHECK_FALSE(has(allowed, "unshare"));
    bool clone3_enosys = false;
    for (auto& r : plain["syscalls"])
        if (r["names"][0] == "clone3") clone3_enosys = r["action"] == "SCMP_ACT_ERRNO" && r["errnoRet"] == 38;
    CHECK(clone3_enosys);

    auto admin_caps = default_capabilities();
    admin_caps.push_back("CAP_SYS_ADMIN");
    auto admin = names_of(default_seccomp(admin_caps), "SCMP_ACT_ALLOW");
    CHECK(has(admin, "mount"));
    CHECK(has(admin, "clone3"));
}

TEST_CASE("the default seccomp profile blocks io_uring, as moby's current one does", "[oci]") {
    // Any rule that names a syscall, whatever its arguments or action.
    auto named = [](const Json& profile, const char* name) {
        for (auto& r : profile["syscalls"])
            for (auto& n : r["names"])
                if (n == name) return true;
        return false;
    };
    auto all_caps = default_capabilities();
    for (const char* c : {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_NICE", "CAP_BPF", "CAP_PERFMON",
                          "CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_SYS_MODULE", "CAP_DAC_READ_SEARCH"})
        all_caps.push_back(c);
    Json plain = default_seccomp(default_capabilities());
    Json admin = default_seccomp(all_caps);
    for (const char* n : {"io_uring_setup", "io_uring_enter", "io_uring_register"}) {
        CHECK_FALSE(named(plain, n));  // left to defaultAction: EPERM
        CHECK_FALSE(named(admin, n));
    }
    CHECK(plain["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK(plain["defaultErrnoRet"] == 1);
    // Linux 6.5-6.7 calls moby allows; the LSM calls only with CAP_SYS_ADMIN.
    for (const char* n : {"cachestat", "fchmodat2", "futex_wait", "futex_wake", "futex_requeue", "map_shadow_stack"})
        CHECK(named(plain, n));
    CHECK_FALSE(named(plain, "lsm_get_self_attr"));
    CHECK(named(admin, "lsm_get_self_attr"));
}

TEST_CASE("mount options split into flags, attributes and data", "[oci]") {
    MountOptions o = parse_mount_options({"rbind", "ro", "nosuid", "rprivate", "mode=755", "size=1m"});
    CHECK(o.bind);
    CHECK(o.recursive);
    CHECK(o.flags & MS_RDONLY);
    CHECK(o.flags & MS_NOSUID);
    CHECK(o.attr_set & MOUNT_ATTR_RDONLY);
    CHECK(o.propagation == (MS_PRIVATE | MS_REC));
    CHECK(o.data == "mode=755,size=1m");

    o = parse_mount_options({"ro", "rw", "rro", "rnoexec", "noatime"});
    CHECK_FALSE(o.flags & MS_RDONLY);
    CHECK(o.attr_clr & MOUNT_ATTR_RDONLY);
    CHECK(o.rattr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC));
    CHECK(o.flags & MS_NOATIME);
    CHECK(o.data.empty());

    CHECK_THROWS_WITH(parse_mount_options({"idmap"}), Catch::Contains("id-mapped"));
    CHECK(propagation_flags("rslave") == (MS_SLAVE | MS_REC));
}

TEST_CASE("container ids and the state JSON", "[oci]") {
    CHECK_NOTHROW(validate_id("web-1_a.b+c"));
    CHECK_THROWS(validate_id(""));
    CHECK_THROWS(validate_id(".."));
    CHECK_THROWS(validate_id(".hidden"));
    CHECK_THROWS(validate_id("a/b"));

    ContainerState s;
    s.oci_version = "1.0.2";
    s.id = "c";
    s.pid = 42;
    s.bundle = "/b";
    s.rootfs = "/b/rootfs";
    s.created = "2024-01-01T00:00:00.000000000Z";
    s.status = Status::running;
    Json j = state_json(s);
    std::vector<std::string> keys;
    for (auto& [k, v] : j.items()) keys.push_back(k);
    CHECK(keys == std::vector<std::string>{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"});
    s.annotations["k"] = "v";
    s.status = Status::stopped;
    j = state_json(s);
    CHECK(j["pid"] == 0);
    CHECK(j["annotations"]["k"] == "v");
    Json h = Json::parse(hook_state(s, Status::creating));
    CHECK(h["status"] == "creating");
    CHECK(h["pid"] == 42);
}
