#include "engine/volumes.hpp"

#include <algorithm>
#include <set>

#include "container/volume_opts.hpp"
#include "engine/containers.hpp"
#include "layers/fsops.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::engine {

using container::Volume;

namespace {

container::VolumeRecords records(Engine& e) { return container::VolumeRecords(e.db()); }

std::map<std::string, std::vector<std::string>> group_filters(const std::vector<std::string>& raw,
                                                              const std::set<std::string>& allowed) {
    std::map<std::string, std::vector<std::string>> out;
    for (auto& f : raw) {
        if (f.find('=') == std::string::npos) throw Error("bad format of filter (expected name=value): " + f);
        auto [k, v] = str::split_once(f, '=');
        if (!allowed.count(k)) throw Error("invalid filter '" + k + "'");
        out[k].push_back(v);
    }
    return out;
}

bool label_matches(const std::map<std::string, std::string>& labels, const std::string& want) {
    auto [k, v] = str::split_once(want, '=');
    auto it = labels.find(k);
    if (it == labels.end()) return false;
    return want.find('=') == std::string::npos || it->second == v;
}

bool parse_bool_filter(const std::string& key, const std::string& v) {
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    throw Error("invalid filter '" + key + "=" + v + "': expected true or false");
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
    std::vector<std::string> parts;
    for (auto& [k, v] : labels) parts.push_back(k + "=" + v);
    return str::join(parts, ",");
}

Json string_map_json(const std::map<std::string, std::string>& m) {
    Json j = Json::object();
    for (auto& [k, v] : m) j[k] = v;
    return j;
}

// The mount's volume was made for this container (not named by the user).
bool made_for(const container::MountSpec& m) {
    return std::find(m.options.begin(), m.options.end(), container::kAnonymousMountOption) != m.options.end();
}

void make_volume_dirs(Engine& e, const std::string& name) {
    // The directory private to the store; the data open to the container
    // (rootless, the user is root of the container's namespace).
    fs::make_dirs(e.paths().volumes_dir(), 0700);
    fs::make_dirs(e.paths().volume_dir(name), 0700);
    fs::make_dirs(e.paths().volume_data(name), 0755);
}

}  // namespace

Volume create_volume(Engine& e, const VolumeCreateRequest& r) {
    if (r.driver != "local" && !r.driver.empty())
        throw Error("volume driver \"" + r.driver + "\" is not supported: only the local driver is");
    Volume v;
    v.name = r.name.empty() ? state::random_id() : r.name;
    container::check_volume_name(v.name);
    // Validated now, mounted at each start.
    container::parse_local_options(r.options, e.paths().rootless());
    v.created = timeutil::now_ns();
    v.labels = r.labels;
    v.options = r.options;
    v.anonymous = r.anonymous;
    auto recs = records(e);
    if (!recs.insert(v)) {
        auto existing = recs.get(v.name);
        if (!existing) throw Error("volume " + v.name + " vanished while it was being created; try again");
        bool same = (r.labels.empty() || existing->labels == r.labels) &&
                    (r.options.empty() || existing->options == r.options);
        if (!r.ignore && !same)
            throw Error("volume with name " + v.name + " already exists: volume already exists");
        v = *existing;
    }
    make_volume_dirs(e, v.name);
    return v;
}

Volume find_volume(Engine& e, const std::string& name) {
    auto v = records(e).get(name);
    if (!v) throw NotFound("no such volume: " + name);
    return *v;
}

std::vector<Volume> all_volumes(Engine& e) { return records(e).list(); }

int64_t volume_size(Engine& e, const std::string& name) {
    return static_cast<int64_t>(layers::tree_size(e.paths().volume_dir(name)));
}

std::vector<Json> list_volumes(Engine& e, const std::vector<std::string>& raw_filters) {
    auto filters = group_filters(raw_filters, {"name", "label", "label!", "dangling", "driver"});
    auto recs = records(e);
    auto users = recs.users();
    std::vector<Json> rows;
    for (auto& v : recs.list()) {
        size_t links = users.count(v.name) ? users[v.name].size() : 0;
        bool pass = true;
        for (auto& [key, values] : filters) {
            // Values of one key are alternatives; keys must all match.
            bool any = false;
            for (auto& val : values) {
                if (key == "name") any |= v.name.find(val) != std::string::npos;
                else if (key == "label") any |= label_matches(v.labels, val);
                else if (key == "label!") any |= !label_matches(v.labels, val);
                else if (key == "dangling") any |= parse_bool_filter(key, val) == (links == 0);
                else if (key == "driver") any |= v.driver == val;
            }
            pass &= any;
        }
        if (!pass) continue;
        rows.push_back({{"Name", v.name},
                        {"Driver", v.driver},
                        {"Scope", "local"},
                        {"Mountpoint", e.paths().volume_data(v.name)},
                        {"Labels", labels_text(v.labels)},
                        {"CreatedAt", timeutil::rfc3339_nano(v.created)},
                        {"Links", std::to_string(links)},
                        {"Size", "N/A"},
                        {"Anonymous", v.anonymous}});
    }
    return rows;
}

Json inspect_volume(Engine& e, const Volume& v) {
    return {{"CreatedAt", timeutil::rfc3339_nano(v.created)},
            {"Driver", v.driver},
            {"Labels", string_map_json(v.labels)},
            {"Mountpoint", e.paths().volume_data(v.name)},
            {"Name", v.name},
            {"Options", string_map_json(v.options)},
            {"Scope", "local"},
            {"Anonymous", v.anonymous}};
}

void remove_volume(Engine& e, const std::string& name, bool force) {
    auto recs = records(e);
    auto v = recs.get(name);
    if (!v) {
        if (force) return;
        throw NotFound("no such volume: " + name);
    }
    auto users = recs.users_of(name);
    if (!users.empty()) throw Error("remove " + name + ": volume is in use - [" + str::join(users, ", ") + "]");
    container::remove_volume_dir(e.paths().volume_dir(name), e.paths().volume_data(name));
    recs.remove(name);
}

VolumePruneReport prune_volumes(Engine& e, bool all, const std::vector<std::string>& raw_filters) {
    auto filters = group_filters(raw_filters, {"label", "label!", "until"});
    VolumePruneReport report;
    int64_t now = timeutil::now_ns();
    auto recs = records(e);
    auto users = recs.users();
    for (auto& v : recs.list()) {
        if (users.count(v.name) && !users[v.name].empty()) continue;
        if (!all && !v.anonymous) continue;
        bool pass = true;
        for (auto& [key, values] : filters)
            for (auto& val : values) {
                if (key == "label") pass &= label_matches(v.labels, val);
                else if (key == "label!") pass &= !label_matches(v.labels, val);
                else if (key == "until") pass &= v.created < timeutil::parse_time(val, now);
            }
        if (!pass) continue;
        int64_t size = volume_size(e, v.name);
        container::remove_volume_dir(e.paths().volume_dir(v.name), e.paths().volume_data(v.name));
        recs.remove(v.name);
        report.deleted.push_back(v.name);
        report.reclaimed += size;
    }
    return report;
}

std::vector<VolumeCreateRequest> plan_container_volumes(Engine& e, container::ContainerSpec& spec,
                                                        const Json& image_config) {
    std::set<std::string> dests;
    for (auto& m : spec.mounts)
        if (!dests.insert(m.destination).second) throw Error("Duplicate mount point: " + m.destination);
    // --volumes-from: the other container's volumes and binds, where the
    // user did not mount something else.
    for (auto& ref : spec.volumes_from) {
        auto [name, mode] = str::split_once(ref, ':');
        if (ref.find(':') != std::string::npos && mode != "ro" && mode != "rw")
            throw Error("invalid --volumes-from \"" + ref + "\": the mode must be ro or rw");
        auto other = find_container(e, name);
        for (auto m : other.spec.mounts) {
            if (m.type == "tmpfs" || dests.count(m.destination)) continue;
            bool was_ro = std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
            std::erase(m.options, "ro");
            if (mode == "ro" || (mode.empty() && was_ro)) m.options.push_back("ro");
            dests.insert(m.destination);
            spec.mounts.push_back(m);
        }
    }
    std::vector<VolumeCreateRequest> planned;
    for (auto& m : spec.mounts) {
        if (m.type != "volume") continue;
        VolumeCreateRequest r;
        r.ignore = true;
        for (auto& o : m.options) {
            std::string_view ov(o);
            if (ov.starts_with(container::kVolumeOptPrefix)) {
                auto [k, v] = str::split_once(o.substr(container::kVolumeOptPrefix.size()), '=');
                r.options[k] = v;
            } else if (ov.starts_with(container::kVolumeLabelPrefix)) {
                auto [k, v] = str::split_once(o.substr(container::kVolumeLabelPrefix.size()), '=');
                r.labels[k] = v;
            }
        }
        std::erase_if(m.options, [](const std::string& o) {
            return o.starts_with(container::kVolumeOptPrefix) || o.starts_with(container::kVolumeLabelPrefix);
        });
        if (m.source.empty()) {
            m.source = state::random_id();
            m.options.emplace_back(container::kAnonymousMountOption);
            r.anonymous = true;
            r.labels[container::kAnonymousVolumeLabel] = "";
        }
        r.name = m.source;
        container::check_volume_name(r.name);
        container::parse_local_options(r.options, e.paths().rootless());
        planned.push_back(r);
    }
    // The image's VOLUMEs: anonymous volumes, unless something else is
    // mounted there.
    if (image_config.contains("Volumes") && image_config["Volumes"].is_object()) {
        for (auto& [path, _] : image_config["Volumes"].items()) {
            if (path.empty() || path[0] != '/' || dests.count(path)) continue;
            dests.insert(path);
            container::MountSpec m{"volume", state::random_id(), path, {std::string(container::kAnonymousMountOption)}};
            spec.mounts.push_back(m);
            VolumeCreateRequest r;
            r.name = m.source;
            r.anonymous = true;
            r.ignore = true;
            r.labels[container::kAnonymousVolumeLabel] = "";
            planned.push_back(r);
        }
    }
    return planned;
}

void create_planned_volumes(Engine& e, const std::vector<VolumeCreateRequest>& planned) {
    for (auto& r : planned) create_volume(e, r);
}

std::vector<container::VolumeMount> container_volumes(Engine& e, const container::Container& c) {
    std::vector<container::VolumeMount> out;
    auto recs = records(e);
    for (auto& m : c.spec.mounts) {
        if (m.type != "volume") continue;
        auto v = recs.get(m.source);
        if (!v) {
            VolumeCreateRequest r;
            r.name = m.source;
            r.ignore = true;
            v = create_volume(e, r);
        } else if (!fs::is_dir(e.paths().volume_data(v->name))) {
            make_volume_dirs(e, v->name);
        }
        container::VolumeMount vm;
        vm.name = v->name;
        vm.volume_dir = e.paths().volume_dir(v->name);
        vm.data_dir = e.paths().volume_data(v->name);
        vm.destination = m.destination;
        vm.anonymous = v->anonymous && made_for(m);
        vm.copy_up = c.started_at == 0 && std::find(m.options.begin(), m.options.end(), "nocopy") == m.options.end();
        vm.options = v->options;
        out.push_back(vm);
    }
    return out;
}

Json inspect_volume_mount(Engine& e, const container::MountSpec& m) {
    bool ro = std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
    std::string mode;
    for (auto& o : m.options)
        if (o == "z" || o == "Z") mode = o;
    return {{"Type", "volume"},
            {"Name", m.source},
            {"Source", e.paths().volume_data(m.source)},
            {"Destination", m.destination},
            {"Driver", "local"},
            {"Mode", mode},
            {"RW", !ro},
            {"Propagation", ""}};
}

void remove_container_volumes(Engine& e, const container::Container& c) {
    std::vector<container::VolumeMount> vols;
    auto recs = records(e);
    for (auto& m : c.spec.mounts) {
        if (m.type != "volume") continue;
        auto v = recs.get(m.source);
        if (!v) continue;
        container::VolumeMount vm;
        vm.name = v->name;
        vm.volume_dir = e.paths().volume_dir(v->name);
        vm.data_dir = e.paths().volume_data(v->name);
        vm.anonymous = v->anonymous && made_for(m);
        vols.push_back(vm);
    }
    container::remove_anonymous_volumes(e.db(), vols, c.id);
}

}  // namespace skiff::engine
