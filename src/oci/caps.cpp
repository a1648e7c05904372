#include "oci/caps.hpp"

#include <sys/capability.h>

#include <algorithm>

#include "util/error.hpp"

namespace skiff::oci {

namespace {

bool in(const std::vector<int>& v, int c) { return std::find(v.begin(), v.end(), c) != v.end(); }

std::string name_of(int cap) {
    auto names = all_cap_names();
    return cap >= 0 && static_cast<size_t>(cap) < names.size() ? names[cap] : std::to_string(cap);
}

void check_known(const std::vector<int>& set, int last) {
    for (int c : set)
        if (c > last) throw Error("capability " + name_of(c) + " is not supported by this kernel");
}

}  // namespace

void drop_bounding(const Capabilities& caps) {
    int last = static_cast<int>(cap_max_bits()) - 1;
    check_known(caps.bounding, last);
    for (int c = 0; c <= last; ++c) {
        if (in(caps.bounding, c)) continue;
        if (cap_drop_bound(static_cast<cap_value_t>(c)) < 0) throw_errno("drop " + name_of(c) + " from the bounding set");
    }
}

void apply_caps(const Capabilities& caps) {
    int last = static_cast<int>(cap_max_bits()) - 1;
    for (auto* set : {&caps.effective, &caps.permitted, &caps.inheritable, &caps.ambient}) check_known(*set, last);
    cap_t c = cap_init();
    if (!c) throw_errno("cap_init");
    struct Free {
        cap_t c;
        ~Free() { cap_free(c); }
    } guard{c};
    auto set = [&](const std::vector<int>& v, cap_flag_t flag) {
        for (int cap : v) {
            cap_value_t cv = static_cast<cap_value_t>(cap);
            if (cap_set_flag(c, flag, 1, &cv, CAP_SET) < 0) throw_errno("cap_set_flag");
        }
    };
    set(caps.effective, CAP_EFFECTIVE);
    set(caps.permitted, CAP_PERMITTED);
    set(caps.inheritable, CAP_INHERITABLE);
    if (cap_set_proc(c) < 0) throw_errno("set capabilities (effective must be a subset of permitted)");
    if (caps.ambient.empty()) return;
    if (cap_reset_ambient() < 0) throw_errno("reset ambient capabilities");
    for (int a : caps.ambient) {
        if (!in(caps.permitted, a) || !in(caps.inheritable, a)) continue;  // warned by the runtime
        if (cap_set_ambient(static_cast<cap_value_t>(a), CAP_SET) < 0) throw_errno("raise ambient " + name_of(a));
    }
}

std::vector<std::string> unraisable_ambient(const Capabilities& caps) {
    std::vector<std::string> out;
    for (int a : caps.ambient)
        if (!in(caps.permitted, a) || !in(caps.inheritable, a)) out.push_back(name_of(a));
    return out;
}

}  // namespace skiff::oci
