// What create can check against the image before the container's record is
// written, so that a run that could never start leaves nothing behind.
#pragma once

#include "container/spec.hpp"
#include "image/store.hpp"

namespace skiff::engine {

class Engine;

// --user (or the image's USER) and --group-add names must be in the image's
// /etc/passwd and /etc/group, read from its layers. Skipped, and left to
// the start as before, when a mount may replace those files (a volume or
// bind on /etc, --volumes-from) or the layers cannot be read here.
void check_image_users(Engine& e, const container::ContainerSpec& spec, const image::Image& img);

}  // namespace skiff::engine
