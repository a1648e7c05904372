#include "commands/registry.hpp"

namespace skiff::commands {

cli::Table build_table() {
    cli::Table t;
    t.add_group({"container", "Manage containers"});
    t.add_group({"image", "Manage images"});
    t.add_group({"system", "Manage skiff"});
    register_system(t);
    register_oci(t);
    register_images(t);
    register_unshare(t);
    register_registry(t);
    register_containers(t);
    register_container_info(t);
    register_container_ops(t);
    register_storage(t);
    register_cp(t);
    register_volumes(t);
    register_networks(t);
    register_container_data(t);
    register_monitor_resume(t);
    return t;
}

}  // namespace skiff::commands
