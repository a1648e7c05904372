#include "oci/rlimits.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <string>

#include "util/error.hpp"

namespace skiff::oci {

void apply_rlimits(const std::vector<Rlimit>& rlimits) {
    for (auto& r : rlimits) {
        struct rlimit lim {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
        auto resource = static_cast<__rlimit_resource>(r.resource);
        if (::setrlimit(resource, &lim) == 0) continue;
        int err = errno;
        auto text = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
        std::string what = "setrlimit " + r.type + " (soft " + text(lim.rlim_cur) + ", hard " + text(lim.rlim_max) + ")";
        // Only a privileged process raises a hard limit: say which one.
        struct rlimit now {};
        if (err == EPERM && ::getrlimit(resource, &now) == 0 && lim.rlim_max > now.rlim_max)
            what += ": above this user's hard limit " + text(now.rlim_max) +
                    ", which only root can raise (/etc/security/limits.conf)";
        throw_errno(what, err);
    }
}

}  // namespace skiff::oci
