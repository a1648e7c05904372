#include "engine/container_storage.hpp"

#include "state/paths.hpp"
#include "util/error.hpp"

namespace skiff::engine {

std::vector<std::string> image_layer_dirs(Engine& e, const image::Image& img) {
    std::vector<std::string> dirs;
    if (img.top_layer.empty()) return dirs;
    for (auto& id : e.images().layer_chain(img.top_layer)) dirs.push_back(e.images().layer_dir(id));
    return dirs;
}

std::vector<std::string> container_layer_dirs(Engine& e, const container::Container& c) {
    auto img = e.images().get_by_id(c.image_id);
    if (!img) throw Error("image " + c.image_id.substr(0, 12) + " of container " + c.name + " is gone");
    return image_layer_dirs(e, *img);
}

layers::DriverKind store_driver_kind(Engine& e) {
    return layers::select_store_driver(&e.db(), layers::store_driver_options(e.paths()),
                                       e.ctx().config().storage_driver, false, true)
        .kind;
}

layers::DriverOptions rootfs_driver_options(const state::Paths& paths, layers::DriverKind kind, bool volatile_upper) {
    auto o = layers::store_driver_options(paths);
    // fuse-overlayfs has no such option.
    if (volatile_upper && kind == layers::DriverKind::Overlay) o.mount_options.push_back("volatile");
    return o;
}

void remove_container_rootfs(Engine& e, const container::Container& c) {
    auto kind = store_driver_kind(e);
    auto driver = layers::make_driver(kind, rootfs_driver_options(e.paths(), kind));
    driver->remove(container::container_paths(e.paths(), c.id).userdata);
}

std::string container_writable_dir(Engine& e, const container::Container& c) {
    auto p = container::container_paths(e.paths(), c.id);
    return store_driver_kind(e) == layers::DriverKind::Vfs ? p.userdata + "/rootfs" : p.upper();
}

Json container_graph_driver(Engine& e, const container::Container& c) {
    auto kind = store_driver_kind(e);
    auto p = container::container_paths(e.paths(), c.id);
    Json data = Json::object();
    if (kind == layers::DriverKind::Vfs) {
        data["RootDir"] = p.userdata + "/rootfs";
    } else {
        std::vector<std::string> lower;
        try {
            lower = container_layer_dirs(e, c);
        } catch (const Error&) {
        }
        std::string joined;
        for (auto it = lower.rbegin(); it != lower.rend(); ++it) joined += (joined.empty() ? "" : ":") + *it;
        data["LowerDir"] = joined;
        data["UpperDir"] = p.upper();
        data["WorkDir"] = p.work();
        data["MergedDir"] = p.userdata + "/merged";
    }
    return {{"Name", std::string(layers::driver_name(kind))}, {"Data", data}};
}

}  // namespace skiff::engine
