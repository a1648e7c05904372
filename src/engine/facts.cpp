#include "engine/facts.hpp"

#include <unistd.h>

#include <optional>
#include <sstream>

#include "container/handoff.hpp"
#include "layers/driver.hpp"
#include "layers/userns.hpp"
#include "state/db.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/strings.hpp"

namespace skiff::engine {

namespace {

constexpr const char* kApiVersion = "1.41";
constexpr const char* kMinApiVersion = "1.24";

std::string compiler() {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "g++ " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
           std::to_string(__GNUC_PATCHLEVEL__);
#else
    return "unknown";
#endif
}

// The ranges as the namespace maps them: container IDs from 1, back to back.
Json subid_ranges(const std::string& file) {
    Json out = Json::array();
    int64_t next = 1;
    for (auto& r : layers::read_subids(file, host::user_name(), getuid())) {
        out.push_back({{"container_id", next}, {"host_id", r.start}, {"size", r.count}});
        next += r.count;
    }
    return out;
}

Json helper(const std::string& name) {
    auto path = fs::find_executable(name);
    return {{"executable", path.value_or("")}, {"found", path.has_value()}};
}

std::string detect_runtime_path(const std::string& runtime) {
    if (runtime == "builtin" || runtime.empty()) return "builtin (skiff-runtime)";
    return fs::find_executable(runtime).value_or(runtime + " (not found)");
}

int64_t count(state::Database& db, const char* sql) {
    auto st = db.prepare(sql);
    st.step();
    return st.integer(0);
}

}  // namespace

Json version_facts(Context& ctx) {
    (void)ctx;
    Json client = {{"Version", SKIFF_VERSION},      {"ApiVersion", kApiVersion},
                   {"BuildTime", __DATE__ " " __TIME__}, {"Compiler", compiler()},
                   {"Os", "linux"},                  {"Arch", host::arch()}};
    Json server = {{"Version", SKIFF_VERSION},
                   {"ApiVersion", kApiVersion},
                   {"MinAPIVersion", kMinApiVersion},
                   {"Os", "linux"},
                   {"Arch", host::arch()},
                   {"KernelVersion", host::kernel_release()},
                   {"Rootless", geteuid() != 0}};
    return {{"Client", client}, {"Server", server}};
}

Json info_facts(Context& ctx) {
    const auto& paths = ctx.paths();
    const auto& cfg = ctx.config();
    bool rootless = paths.rootless();
    auto cg = host::cgroups(rootless);

    int64_t containers = 0, running = 0, paused = 0, stopped = 0, images = 0, volumes = 0;
    std::optional<state::Database> db;
    if (fs::exists(paths.database())) db.emplace(paths.database());
    // The store's own driver; for a fresh store the one it would get (the
    // configured one, else detected: a cached probe).
    auto driver_choice =
        layers::select_store_driver(db ? &*db : nullptr, layers::store_driver_options(paths), cfg.storage_driver,
                                    false, true);
    std::string driver(layers::driver_name(driver_choice.kind));
    Json graph_status = {{"Source", driver_choice.origin}};
    if (!driver_choice.why_not_overlay.empty()) graph_status["OverlayUnavailable"] = driver_choice.why_not_overlay;
    if (driver_choice.origin == "store" && !cfg.storage_driver.empty() &&
        layers::parse_driver(cfg.storage_driver) != driver_choice.kind)
        graph_status["Mismatch"] = cfg.storage_driver + " is configured; run skiff system reset to switch";
    if (db) {
        containers = count(*db, "SELECT count(*) FROM containers");
        running = count(*db, "SELECT count(*) FROM containers WHERE state = 'running'");
        paused = count(*db, "SELECT count(*) FROM containers WHERE state = 'paused'");
        stopped = containers - running - paused;
        images = count(*db, "SELECT count(*) FROM images");
        volumes = count(*db, "SELECT count(*) FROM volumes");
    }
    Json security = {"name=seccomp,profile=builtin"};
    if (rootless) security.push_back("name=rootless");

    Json host = {
        {"Arch", host::arch()},
        {"Hostname", host::hostname()},
        {"Kernel", host::kernel_release()},
        {"OS", "linux"},
        {"Distribution", host::os_name()},
        {"CPUs", host::cpu_count()},
        {"MemTotal", host::memory_bytes()},
        {"CgroupVersion", cg.version},
        {"CgroupControllers", cg.controllers},
        {"CgroupLimits", cg.limits_usable},
        {"CgroupLimitsWhyNot", cg.why_not},
        {"IDMappings", {{"UIDMap", subid_ranges("/etc/subuid")}, {"GIDMap", subid_ranges("/etc/subgid")}}},
        {"Security", {{"Rootless", rootless}, {"SeccompEnabled", true}}},
        {"OCIRuntime", {{"Name", cfg.runtime}, {"Path", detect_runtime_path(cfg.runtime)}}},
        // The small monitor a running container's monitor becomes ("": none).
        {"IdleMonitor", container::find_idle_monitor()},
        {"NetworkHelpers", {{"pasta", helper("pasta")}, {"slirp4netns", helper("slirp4netns")}}},
        {"NetworkHelper", cfg.network_helper.empty() ? "auto" : cfg.network_helper},
        // What a container without --network joins (Docker's answer as root).
        {"DefaultNetwork", rootless ? "private" : "bridge"},
        {"NewUIDMap", helper("newuidmap")},
        {"FuseOverlayfs", helper("fuse-overlayfs")},
        {"CDISpecDirs", cfg.cdi_spec_dirs},
        {"LogDriver", cfg.log_driver},
    };
    Json store = {
        {"GraphDriverName", driver},
        {"GraphStatus", graph_status},
        {"GraphRoot", paths.root()},
        {"RunRoot", paths.runroot()},
        {"ConfigFile", cfg.source.empty() ? "(none: built-in defaults)" : cfg.source},
        {"ContainerStore", {{"number", containers}, {"running", running}, {"paused", paused}, {"stopped", stopped}}},
        {"ImageStore", {{"number", images}}},
        {"VolumeCount", volumes},
    };
    return {
        {"ID", host::boot_id()},
        {"Containers", containers},
        {"ContainersRunning", running},
        {"ContainersPaused", paused},
        {"ContainersStopped", stopped},
        {"Images", images},
        {"Driver", driver},
        {"DockerRootDir", paths.root()},
        {"CgroupVersion", cg.version.substr(0, 2) == "v2" ? "2" : "1"},
        {"KernelVersion", host::kernel_release()},
        {"OperatingSystem", host::os_name()},
        {"OSType", "linux"},
        {"Architecture", host::arch()},
        {"NCPU", host::cpu_count()},
        {"MemTotal", host::memory_bytes()},
        {"Name", host::hostname()},
        {"ServerVersion", SKIFF_VERSION},
        {"SecurityOptions", security},
        {"Host", host},
        {"Store", store},
    };
}

std::string info_text(const Json& i) {
    std::ostringstream o;
    auto& h = i["Host"];
    auto& s = i["Store"];
    auto str = [](const Json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
    o << "Client: skiff " << str(i["ServerVersion"]) << "\n\nServer:\n";
    o << " Containers: " << i["Containers"] << "\n  Running: " << i["ContainersRunning"]
      << "\n  Paused: " << i["ContainersPaused"] << "\n  Stopped: " << i["ContainersStopped"] << "\n";
    o << " Images: " << i["Images"] << "\n";
    o << " Volumes: " << s["VolumeCount"] << "\n";
    o << " Server Version: " << str(i["ServerVersion"]) << "\n";
    o << " Storage Driver: " << str(i["Driver"]) << "\n";
    if (s.contains("GraphStatus"))
        for (const char* k : {"OverlayUnavailable", "Mismatch"})
            if (s["GraphStatus"].contains(k)) o << "  " << k << ": " << str(s["GraphStatus"][k]) << "\n";
    o << " Root Dir: " << str(s["GraphRoot"]) << "\n Run Root: " << str(s["RunRoot"]) << "\n";
    o << " Config File: " << str(s["ConfigFile"]) << "\n";
    o << " Logging Driver: " << str(h["LogDriver"]) << "\n";
    o << " Cgroup Version: " << str(h["CgroupVersion"]) << "\n";
    o << " Cgroup Limits: "
      << (h["CgroupLimits"].get<bool>() ? "available" : "unavailable: " + str(h["CgroupLimitsWhyNot"])) << "\n";
    o << " Runtime: " << str(h["OCIRuntime"]["Name"]) << " (" << str(h["OCIRuntime"]["Path"]) << ")\n";
    o << " Idle Monitor: "
      << (str(h["IdleMonitor"]).empty() ? "not found (each container's monitor stays a full skiff process)"
                                        : str(h["IdleMonitor"]))
      << "\n";
    o << " Rootless: " << (h["Security"]["Rootless"].get<bool>() ? "true" : "false") << "\n";
    auto ranges = [&](const Json& list) {
        if (list.empty()) return std::string("none (see /etc/subuid and /etc/subgid)");
        std::string out;
        for (auto& r : list)
            out += (out.empty() ? "" : ", ") + std::to_string(r["host_id"].get<int64_t>()) + "-" +
                   std::to_string(r["host_id"].get<int64_t>() + r["size"].get<int64_t>() - 1);
        return out;
    };
    o << "  Subordinate UIDs: " << ranges(h["IDMappings"]["UIDMap"]) << "\n";
    o << "  Subordinate GIDs: " << ranges(h["IDMappings"]["GIDMap"]) << "\n";
    o << " Default Network: "
      << (str(h["DefaultNetwork"]) == "bridge" ? "bridge (the built-in bridge network: kernel bridge, nftables)"
                                               : "private (a network per container through pasta or slirp4netns)")
      << "\n";
    o << " Network Helpers:\n";
    for (auto& [name, v] : h["NetworkHelpers"].items())
        o << "  " << name << ": " << (v["found"].get<bool>() ? str(v["executable"]) : "not found") << "\n";
    o << " CDI Spec Dirs: " << str::join(h["CDISpecDirs"].get<std::vector<std::string>>(), ", ") << "\n";
    o << " Kernel Version: " << str(i["KernelVersion"]) << "\n";
    o << " Operating System: " << str(i["OperatingSystem"]) << "\n";
    o << " OSType: linux\n Architecture: " << str(i["Architecture"]) << "\n";
    o << " CPUs: " << i["NCPU"] << "\n Total Memory: " << str::bytes_size(static_cast<double>(i["MemTotal"].get<int64_t>()))
      << "\n Name: " << str(i["Name"]) << "\n";
    return o.str();
}

std::vector<std::string> completion_names(Context& ctx, const std::string& kind) {
    const char* sql = nullptr;
    if (kind == "containers") sql = "SELECT name FROM containers ORDER BY name";
    else if (kind == "images") sql = "SELECT name FROM image_names ORDER BY name";
    else if (kind == "volumes") sql = "SELECT name FROM volumes ORDER BY name";
    else if (kind == "networks") sql = "SELECT name FROM networks ORDER BY name";
    else throw Error("unknown completion kind \"" + kind + "\": expected containers, images, volumes or networks");
    std::vector<std::string> out;
    const auto& paths = ctx.paths();
    if (!fs::exists(paths.database())) return out;
    state::Database db(paths.database());
    auto st = db.prepare(sql);
    while (st.step()) out.push_back(st.text(0));
    return out;
}

}  // namespace skiff::engine
