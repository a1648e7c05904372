#include "engine/create_checks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <optional>

#include "container/users.hpp"
#include "engine/container_storage.hpp"
#include "engine/engine.hpp"
#include "layers/layer_stack.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

namespace {

bool numeric(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

// A regular file of /etc as the layers stack it; "" when absent, nullopt
// when it is something the start would resolve differently (a link).
std::optional<std::string> read_etc_file(const layers::MergedDir& etc, const std::string& name) {
    for (auto& entry : etc.list()) {
        if (entry.name != name) continue;
        if (!S_ISREG(entry.st.st_mode)) return std::nullopt;
        UniqueFd fd(::openat(entry.dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return std::nullopt;
        std::string out;
        char buf[8192];
        ssize_t n;
        while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) {
            out.append(buf, static_cast<size_t>(n));
            if (out.size() > (16 << 20)) return std::nullopt;
        }
        return n < 0 ? std::nullopt : std::optional<std::string>(out);
    }
    return std::string();
}

bool mounts_may_replace_etc(const container::ContainerSpec& spec) {
    if (!spec.volumes_from.empty()) return true;
    for (auto& m : spec.mounts)
        if (m.destination == "/etc" || m.destination == "/etc/passwd" || m.destination == "/etc/group") return true;
    return false;
}

}  // namespace

void check_image_users(Engine& e, const container::ContainerSpec& spec, const image::Image& img) {
    std::string user = spec.user;
    if (user.empty()) user = img.config.value("config", Json::object()).value("User", "");
    auto colon = user.find(':');
    std::string u = user.substr(0, colon), g = colon == std::string::npos ? "" : user.substr(colon + 1);
    bool names = (!u.empty() && !numeric(u)) || (!g.empty() && !numeric(g));
    for (auto& ga : spec.group_add) names |= !numeric(ga);
    if (!names || mounts_may_replace_etc(spec)) return;
    std::optional<std::string> passwd, group;
    try {
        auto root = layers::MergedDir::open_stack(image_layer_dirs(e, img));
        auto etc = root.child("etc");
        // No /etc at all reads as empty files, as at start; a /etc that is
        // a link is left to the start.
        bool has_etc = false;
        for (auto& entry : root.list()) has_etc |= entry.name == "etc";
        if (has_etc && etc.empty()) return;
        passwd = etc.empty() ? std::string() : read_etc_file(etc, "passwd");
        group = etc.empty() ? std::string() : read_etc_file(etc, "group");
    } catch (const Error&) {
        return;  // unreadable here (a layer owned by the user namespace): the start decides
    }
    if (!passwd || !group) return;
    container::resolve_user_in(*passwd, *group, user, spec.group_add);
}

}  // namespace skiff::engine
