#include "container/handoff.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "util/fs.hpp"
#include "util/process.hpp"

namespace skiff::container {

Json monitor_config_to_json(const MonitorConfig& cfg) {
    Json volumes = Json::array();
    for (auto& v : cfg.volumes)
        volumes.push_back({{"name", v.name},
                           {"volume_dir", v.volume_dir},
                           {"data_dir", v.data_dir},
                           {"destination", v.destination},
                           {"anonymous", v.anonymous},
                           {"copy_up", v.copy_up},
                           {"options", v.options}});
    const auto& o = cfg.rootfs.options;
    Json options = {{"storage_dir", o.storage_dir},     {"cache_dir", o.cache_dir},
                    {"fuse_program", o.fuse_program},   {"mount_options", o.mount_options},
                    {"ignore_owners", o.ignore_owners}, {"userns", nullptr}};
    if (o.userns) options["userns"] = *o.userns;
    return {
        {"id", cfg.container.id},
        {"userdata", cfg.paths.userdata},
        {"rundir", cfg.paths.rundir},
        {"database", cfg.database},
        {"runtime_root", cfg.runtime_root},
        {"runtime", cfg.runtime},
        {"rootfs",
         {{"driver", std::string(layers::driver_name(cfg.rootfs.driver))},
          {"options", options},
          {"layers", cfg.rootfs.layers},
          {"container_dir", cfg.rootfs.container_dir}}},
        {"volumes", volumes},
        {"image_config", cfg.image_config},
        {"log_driver", cfg.log_driver},
        {"log_max_size", cfg.log_max_size},
        {"userns", cfg.userns},
        {"full_id_map", cfg.full_id_map},
        {"detach_keys", cfg.detach_keys},
        {"network_helper", cfg.network_helper},
        {"default_capabilities", cfg.default_capabilities},
        {"join_pids", cfg.join_pids},
        {"netd_dir", cfg.netd_dir},
        {"netd_pid", cfg.netd_pid},
        {"network_record", cfg.network_record},
        {"uplink_gateway", cfg.uplink_gateway},
    };
}

MonitorConfig monitor_config_from_json(const Json& j) {
    MonitorConfig cfg;
    cfg.container.id = j.at("id").get<std::string>();
    cfg.paths.userdata = j.at("userdata").get<std::string>();
    cfg.paths.rundir = j.at("rundir").get<std::string>();
    cfg.database = j.at("database").get<std::string>();
    cfg.runtime_root = j.at("runtime_root").get<std::string>();
    cfg.runtime = j.at("runtime").get<std::string>();
    const Json& r = j.at("rootfs");
    cfg.rootfs.driver = layers::parse_driver(r.at("driver").get<std::string>());
    const Json& o = r.at("options");
    auto& opts = cfg.rootfs.options;
    opts.storage_dir = o.at("storage_dir").get<std::string>();
    opts.cache_dir = o.at("cache_dir").get<std::string>();
    opts.fuse_program = o.at("fuse_program").get<std::string>();
    opts.mount_options = o.at("mount_options").get<std::vector<std::string>>();
    opts.ignore_owners = o.at("ignore_owners").get<bool>();
    if (o.at("userns").is_boolean()) opts.userns = o.at("userns").get<bool>();
    cfg.rootfs.layers = r.at("layers").get<std::vector<std::string>>();
    cfg.rootfs.container_dir = r.at("container_dir").get<std::string>();
    for (auto& v : j.at("volumes")) {
        VolumeMount m;
        m.name = v.at("name").get<std::string>();
        m.volume_dir = v.at("volume_dir").get<std::string>();
        m.data_dir = v.at("data_dir").get<std::string>();
        m.destination = v.at("destination").get<std::string>();
        m.anonymous = v.at("anonymous").get<bool>();
        m.copy_up = v.at("copy_up").get<bool>();
        m.options = v.at("options").get<std::map<std::string, std::string>>();
        cfg.volumes.push_back(std::move(m));
    }
    cfg.image_config = j.at("image_config");
    cfg.log_driver = j.at("log_driver").get<std::string>();
    cfg.log_max_size = j.at("log_max_size").get<int64_t>();
    cfg.userns = j.at("userns").get<bool>();
    cfg.full_id_map = j.at("full_id_map").get<bool>();
    cfg.detach_keys = j.at("detach_keys").get<std::string>();
    cfg.network_helper = j.at("network_helper").get<std::string>();
    cfg.default_capabilities = j.at("default_capabilities").get<std::vector<std::string>>();
    cfg.join_pids = j.at("join_pids").get<std::map<std::string, int>>();
    cfg.netd_dir = j.at("netd_dir").get<std::string>();
    cfg.netd_pid = j.at("netd_pid").get<int>();
    cfg.network_record = j.at("network_record");
    cfg.uplink_gateway = j.at("uplink_gateway").get<std::string>();
    return cfg;
}

std::string find_idle_monitor() {
    std::string dir = fs::dirname(self_exe());
    // As find_init_binary: the build dir's layout, then an installed prefix's.
    for (const char* rel : {"/skiff-monitor", "/src/monitor_idle/skiff-monitor", "/../libexec/skiff/skiff-monitor",
                            "/../lib/skiff/skiff-monitor"})
        if (::access((dir + rel).c_str(), X_OK) == 0) return dir + rel;
    return "";
}

std::string handoff_file(const ContainerPaths& p) { return p.rundir + "/monitor.json"; }

void set_inheritable(int fd, bool inherit) {
    if (fd < 0) return;
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) return;
    ::fcntl(fd, F_SETFD, inherit ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC);
}

}  // namespace skiff::container
