// A container's files as the store's storage driver keeps them: which
// layers its rootfs stacks, the options the driver is made with, and
// deleting what the driver made.
#pragma once

#include <string>
#include <vector>

#include "container/record.hpp"
#include "engine/engine.hpp"
#include "layers/driver.hpp"
#include "util/json.hpp"

namespace skiff::engine {

// The extracted layers of the container's image, lowest first.
std::vector<std::string> container_layer_dirs(Engine& e, const container::Container& c);
std::vector<std::string> image_layer_dirs(Engine& e, const image::Image& img);

// The driver the store records (inspect's GraphDriver.Name); for a store
// without one yet, the one it would get. Records nothing.
layers::DriverKind store_driver_kind(Engine& e);

// The options a driver for a container's rootfs is made with. Call it
// inside the storage namespace: owners are kept only where they can be.
// `volatile_upper`: the upper dir need not survive a crash (a --rm
// container), so overlay skips its sync at unmount (as Podman does).
layers::DriverOptions rootfs_driver_options(const state::Paths& paths, layers::DriverKind kind,
                                            bool volatile_upper = false);

// Unmounts and deletes the rootfs the driver made for the container (a vfs
// copy is a whole tree). Run it in the storage namespace.
void remove_container_rootfs(Engine& e, const container::Container& c);

// What holds the container's own files: the upper dir, or the whole rootfs
// copy on vfs (system df measures it).
std::string container_writable_dir(Engine& e, const container::Container& c);

// inspect's GraphDriver: the driver's name and the container's directories.
Json container_graph_driver(Engine& e, const container::Container& c);

}  // namespace skiff::engine
