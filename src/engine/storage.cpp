#include "engine/storage.hpp"


#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "container/record.hpp"
#include "engine/container_storage.hpp"
#include "engine/containers.hpp"
#include "engine/images.hpp"
#include "engine/networks.hpp"
#include "engine/volumes.hpp"
#include "image/reference.hpp"
#include "layers/fsops.hpp"
#include "layers/mount.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::engine {

namespace {

std::string size_text(int64_t bytes) { return str::human_size(static_cast<double>(bytes)); }

// Docker's "1.2MB (50%)"; just the size when there is nothing at all.
std::string reclaimable_text(int64_t reclaimable, int64_t total) {
    std::string s = size_text(reclaimable);
    if (total > 0) s += " (" + std::to_string(reclaimable * 100 / total) + "%)";
    return s;
}

Json summary_row(const std::string& type, size_t total, size_t active, int64_t size, int64_t reclaimable) {
    return {{"Type", type},
            {"TotalCount", std::to_string(total)},
            {"Total", total},
            {"Active", std::to_string(active)},
            {"Size", size_text(size)},
            {"Reclaimable", type == "Build Cache" ? size_text(reclaimable) : reclaimable_text(reclaimable, size)},
            {"RawSize", size},
            {"RawReclaimable", reclaimable}};
}

struct LayerRow {
    std::string parent;
    int64_t size = 0;
};

}  // namespace

DiskUsage disk_usage(Engine& e, bool verbose) {
    DiskUsage du;
    int64_t now = timeutil::now_ns();
    auto& db = e.db();

    // Containers first: images count the ones that use them.
    std::vector<container::Container> containers = list_containers(e);
    std::map<std::string, size_t> users;  // image ID → containers
    for (auto& c : containers) ++users[c.image_id];

    // Layers in one query; every image's chain is walked in memory.
    std::map<std::string, LayerRow> layers;
    {
        auto st = db.prepare("SELECT id, coalesce(parent, ''), size FROM layers");
        while (st.step()) layers[st.text(0)] = {st.text(1), st.integer(2)};
    }
    auto chain_of = [&](const std::string& top) {
        std::vector<std::string> chain;
        for (std::string cur = top; !cur.empty();) {
            auto it = layers.find(cur);
            if (it == layers.end()) break;
            chain.push_back(cur);
            cur = it->second.parent;
        }
        return chain;
    };
    auto images = e.images().list();
    std::map<std::string, size_t> layer_refs;
    std::vector<std::vector<std::string>> chains;
    for (auto& img : images) {
        chains.push_back(chain_of(img.top_layer));
        for (auto& l : chains.back()) ++layer_refs[l];
    }
    int64_t image_total = 0;
    for (auto& [id, refs] : layer_refs) image_total += layers[id].size;
    std::set<std::string> used_layers;
    size_t active_images = 0;
    for (size_t i = 0; i < images.size(); ++i) {
        const auto& img = images[i];
        size_t n_users = users.count(img.id) ? users[img.id] : 0;
        if (n_users > 0) {
            ++active_images;
            used_layers.insert(chains[i].begin(), chains[i].end());
        }
        if (!verbose) continue;
        int64_t size = 0, shared = 0;
        for (auto& l : chains[i]) {
            size += layers[l].size;
            if (layer_refs[l] > 1) shared += layers[l].size;
        }
        auto row = [&](const std::string& repo, const std::string& tag) {
            du.images.push_back({{"Repository", repo},
                                 {"Tag", tag},
                                 {"ID", state::short_id(img.id)},
                                 {"CreatedSince", timeutil::ago(img.created, now)},
                                 {"Size", size_text(size)},
                                 {"SharedSize", size_text(shared)},
                                 {"UniqueSize", size_text(size - shared)},
                                 {"Containers", n_users}});
        };
        if (img.names.empty()) row("<none>", "<none>");
        for (auto& n : img.names) {
            auto ref = image::parse_reference(n);
            std::string fam = ref.familiar();
            row(ref.tag.empty() ? fam.substr(0, fam.find('@')) : fam.substr(0, fam.rfind(':')),
                ref.tag.empty() ? "<none>" : ref.tag);
        }
    }
    int64_t image_used = 0;
    for (auto& l : used_layers) image_used += layers[l].size;
    du.summary.push_back(summary_row("Images", images.size(), active_images, image_total, image_total - image_used));

    // Containers: their writable layers, measured.
    int64_t ctr_total = 0, ctr_reclaimable = 0;
    size_t ctr_active = 0;
    for (auto& c : containers) {
        auto size = static_cast<int64_t>(layers::tree_size(container_writable_dir(e, c)));
        ctr_total += size;
        if (c.running()) ++ctr_active;
        else ctr_reclaimable += size;
        if (!verbose) continue;
        Json row = ps_row(e, c, false, false);
        size_t volumes = 0;
        for (auto& m : c.spec.mounts) volumes += m.type == "volume";
        du.containers.push_back({{"ID", row["ID"]},
                                 {"Image", row["Image"]},
                                 {"Command", row["Command"]},
                                 {"LocalVolumes", volumes},
                                 {"Size", size_text(size)},
                                 {"RunningFor", row["RunningFor"]},
                                 {"Status", row["Status"]},
                                 {"Names", row["Names"]}});
    }
    du.summary.push_back(summary_row("Containers", containers.size(), ctr_active, ctr_total, ctr_reclaimable));

    // Volumes: linked by containers that mount them, measured.
    std::vector<std::string> volume_names;
    {
        auto st = db.prepare("SELECT name FROM volumes ORDER BY name");
        while (st.step()) volume_names.push_back(st.text(0));
    }
    int64_t vol_total = 0, vol_reclaimable = 0;
    size_t vol_active = 0;
    for (auto& name : volume_names) {
        size_t links = 0;
        for (auto& c : containers)
            for (auto& m : c.spec.mounts) links += m.type == "volume" && m.source == name;
        auto size = volume_size(e, name);
        vol_total += size;
        if (links > 0) ++vol_active;
        else vol_reclaimable += size;
        if (verbose) du.volumes.push_back({{"Name", name}, {"Links", links}, {"Size", size_text(size)}});
    }
    du.summary.push_back(summary_row("Local Volumes", volume_names.size(), vol_active, vol_total, vol_reclaimable));
    du.summary.push_back(summary_row("Build Cache", 0, 0, 0, 0));
    return du;
}

SystemPruneReport prune_system(Engine& e, const SystemPruneOptions& o) {
    SystemPruneReport report;
    int64_t now = timeutil::now_ns();
    std::vector<std::string> label_filters, image_filters;
    std::vector<std::string> labels;  // K[=V]
    int64_t until = 0;
    for (auto& f : o.filters) {
        if (f.find('=') == std::string::npos) throw Error("bad format of filter (expected name=value): " + f);
        auto [k, v] = str::split_once(f, '=');
        if (k == "label!") {
            throw Error("the label! filter is not supported by system prune: use label=");
        } else if (k == "label") {
            labels.push_back(v);
            label_filters.push_back(f);
        } else if (k == "until") {
            until = timeutil::parse_time(v, now);
        } else {
            throw Error("invalid filter '" + k + "'");
        }
        image_filters.push_back(f);
    }

    // Stopped containers (their writable layers are what comes back).
    for (auto& c : list_containers(e)) {
        if (c.running()) continue;
        if (until && c.created >= until) continue;
        bool pass = true;
        for (auto& want : labels) {
            auto [lk, lv] = str::split_once(want, '=');
            auto it = c.spec.labels.find(lk);
            pass &= it != c.spec.labels.end() && (want.find('=') == std::string::npos || it->second == lv);
        }
        if (!pass) continue;
        auto size = static_cast<int64_t>(layers::tree_size(container_writable_dir(e, c)));
        remove_container(e, c, false);
        report.containers.push_back(c.id);
        report.reclaimed += size;
    }
    remove_orphaned_container_files(e);
    // Docker's order: networks after the containers that might hold them.
    report.networks = prune_networks(e, o.filters);
    if (o.volumes) {
        // Docker 23+: anonymous volumes only, whatever -a says.
        auto v = prune_volumes(e, false, label_filters);
        report.volumes = v.deleted;
        report.reclaimed += v.reclaimed;
    }
    // Images last: the containers removed above no longer hold theirs.
    auto img = prune_images(e, o.all, image_filters);
    report.images = img.deleted;
    report.reclaimed += img.reclaimed;
    return report;
}

void reset_storage(Engine& e) {
    const auto& paths = e.paths();
    const std::vector<std::string> dirs = {paths.root(), paths.runroot()};
    for (auto& d : dirs)
        if (d.empty() || d == "/") throw Error("refusing to reset a store at \"" + d + "\"");
    std::vector<std::string> errors;

    // Containers go the regular way: a running one is stopped by its monitor.
    if (fs::exists(paths.database())) {
        try {
            for (auto& c : list_containers(e)) {
                try {
                    remove_container(e, c, true);
                } catch (const Error& err) {
                    errors.push_back("remove container " + c.name + ": " + err.what());
                }
            }
        } catch (const Error& err) {
            // A damaged database must not stand in the way of a reset.
            std::fprintf(stderr, "WARNING: reading the containers: %s\n", err.what());
        }
    }
    e.release_db();

    for (auto& d : dirs)
        for (auto& m : layers::mounts_under(d)) {
            try {
                layers::unmount_path(m);
            } catch (const Error& err) {
                errors.push_back(err.what());
            }
        }
    std::vector<std::string> mounted;
    for (auto& d : dirs)
        for (auto& m : layers::mounts_under(d)) mounted.push_back(m);
    if (!mounted.empty())
        throw Error("still mounted, so nothing was removed: " + str::join(mounted, ", ") +
                    (errors.empty() ? "" : " (" + str::join(errors, "; ") + ")"));

    for (auto& d : dirs) {
        UniqueFd fd(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            if (errno != ENOENT) errors.push_back("open " + d + ": " + std::strerror(errno));
            continue;
        }
        for (auto& name : layers::list_dir(fd.get())) {
            try {
                layers::remove_at(fd.get(), name);
            } catch (const Error& err) {
                errors.push_back(d + "/" + name + ": " + err.what());
            }
        }
    }
    if (!errors.empty()) throw Error("reset: " + str::join(errors, "; "));
}

}  // namespace skiff::engine
