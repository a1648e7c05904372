#include "container/spec.hpp"

namespace skiff::container {

Json ContainerSpec::to_json() const {
    Json joins = Json::array();
    for (auto& n : network_joins) joins.push_back({{"name", n.name}, {"ip", n.ip}, {"mac", n.mac}, {"aliases", n.aliases}, {"ip6", n.ip6}});
    Json mounts_json = Json::array();
    for (auto& m : mounts)
        mounts_json.push_back({{"type", m.type}, {"source", m.source}, {"destination", m.destination}, {"options", m.options}});
    return {
        {"image_ref", image_ref}, {"entrypoint", entrypoint}, {"command", command}, {"entrypoint_set", entrypoint_set},
        {"env", env}, {"workdir", workdir}, {"user", user}, {"hostname", hostname}, {"labels", labels},
        {"annotations", annotations}, {"mounts", mounts_json}, {"volumes_from", volumes_from}, {"read_only", read_only}, {"cap_add", cap_add},
        {"cap_drop", cap_drop}, {"privileged", privileged}, {"no_new_privileges", no_new_privileges},
        {"seccomp_profile", seccomp_profile}, {"label_disable", label_disable}, {"ulimits", ulimits},
        {"memory", memory}, {"memory_swap", memory_swap}, {"pids_limit", pids_limit}, {"cpu_shares", cpu_shares},
        {"shm_size", shm_size}, {"cpus", cpus}, {"cpuset_cpus", cpuset_cpus}, {"devices", devices},
        {"group_add", group_add}, {"sysctls", sysctls}, {"userns", userns}, {"init", init},
        {"restart", {{"name", restart.name}, {"max_retries", restart.max_retries}}}, {"log_driver", log_driver},
        {"log_opts", log_opts}, {"ipc", ipc}, {"pid", pid}, {"uts", uts}, {"network", network}, {"network_joins", joins}, {"tty", tty},
        {"interactive", interactive}, {"stop_signal", stop_signal}, {"stop_timeout", stop_timeout},
        {"remove", remove}, {"cidfile", cidfile}, {"pidfile", pidfile}, {"dns", dns}, {"dns_search", dns_search},
        {"dns_options", dns_options}, {"add_hosts", add_hosts},
        {"publish", publish}, {"publish_all", publish_all}, {"expose", expose},
    };
}

ContainerSpec ContainerSpec::from_json(const Json& j) {
    ContainerSpec s;
    auto get = [&](const char* key, auto& field) {
        if (j.contains(key) && !j[key].is_null()) j[key].get_to(field);
    };
    get("image_ref", s.image_ref);
    get("entrypoint", s.entrypoint);
    get("command", s.command);
    get("entrypoint_set", s.entrypoint_set);
    get("env", s.env);
    get("workdir", s.workdir);
    get("user", s.user);
    get("hostname", s.hostname);
    get("labels", s.labels);
    get("annotations", s.annotations);
    if (j.contains("mounts"))
        for (auto& m : j["mounts"])
            s.mounts.push_back({m.value("type", ""), m.value("source", ""), m.value("destination", ""),
                                m.value("options", std::vector<std::string>{})});
    get("volumes_from", s.volumes_from);
    get("read_only", s.read_only);
    get("cap_add", s.cap_add);
    get("cap_drop", s.cap_drop);
    get("privileged", s.privileged);
    get("no_new_privileges", s.no_new_privileges);
    get("seccomp_profile", s.seccomp_profile);
    get("label_disable", s.label_disable);
    get("ulimits", s.ulimits);
    get("memory", s.memory);
    get("memory_swap", s.memory_swap);
    get("pids_limit", s.pids_limit);
    get("cpu_shares", s.cpu_shares);
    get("shm_size", s.shm_size);
    get("cpus", s.cpus);
    get("cpuset_cpus", s.cpuset_cpus);
    get("devices", s.devices);
    get("group_add", s.group_add);
    get("sysctls", s.sysctls);
    get("userns", s.userns);
    get("init", s.init);
    if (j.contains("restart")) {
        s.restart.name = j["restart"].value("name", "no");
        s.restart.max_retries = j["restart"].value("max_retries", 0);
    }
    get("log_driver", s.log_driver);
    get("log_opts", s.log_opts);
    get("ipc", s.ipc);
    get("pid", s.pid);
    get("uts", s.uts);
    get("network", s.network);
    if (j.contains("network_joins") && j["network_joins"].is_array())
        for (auto& n : j["network_joins"])
            s.network_joins.push_back({n.value("name", ""), n.value("ip", ""), n.value("mac", ""),
                                       n.value("aliases", std::vector<std::string>{}), n.value("ip6", "")});
    get("tty", s.tty);
    get("interactive", s.interactive);
    get("stop_signal", s.stop_signal);
    get("stop_timeout", s.stop_timeout);
    get("remove", s.remove);
    get("cidfile", s.cidfile);
    get("pidfile", s.pidfile);
    get("dns", s.dns);
    get("dns_search", s.dns_search);
    get("dns_options", s.dns_options);
    get("add_hosts", s.add_hosts);
    get("publish", s.publish);
    get("publish_all", s.publish_all);
    get("expose", s.expose);
    return s;
}

}  // namespace skiff::container
