#include "oci/rlimits.hpp"

#include <sys/resource.h>

#include "util/error.hpp"

namespace skiff::oci {

void apply_rlimits(const std::vector<Rlimit>& rlimits) {
    for (auto& r : rlimits) {
        struct rlimit lim {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
        if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &lim) < 0)
            throw_errno("setrlimit " + r.type + " (soft " + std::to_string(r.soft) + ", hard " +
                        std::to_string(r.hard) + ")");
    }
}

}  // namespace skiff::oci
