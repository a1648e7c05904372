// Facts about the host, read on demand (never at start-up).
#pragma once

#include <string>
#include <vector>

namespace skiff::host {

std::string kernel_release();
std::string arch();         // OCI/Go name: amd64, arm64, …
std::string os_name();      // PRETTY_NAME from os-release
std::string hostname();
std::string boot_id();
// True in a user namespace other than the initial one: root there is not
// root of the host (skiff's own rootless namespace, or a rootless podman's).
// The one implementation (host_userns.cpp): layers::in_user_namespace(),
// image::in_user_namespace() and the runtime's oci::in_nested_userns() call it.
bool in_user_namespace();
long cpu_count();
long long memory_bytes();

// A subordinate ID range from /etc/subuid or /etc/subgid.
struct IdRange {
    long long start = 0;
    long long count = 0;
};
// The ranges of the current user (matched by name or by numeric uid);
// layers::read_subids() does the parsing.
std::vector<IdRange> subordinate_ranges(const std::string& file);
std::string user_name();

struct CgroupInfo {
    std::string version;  // "v2", "v1", or "v1 (hybrid)"
    bool limits_usable = false;
    std::string why_not;  // when !limits_usable
    std::vector<std::string> controllers;
};
CgroupInfo cgroups(bool rootless);

}  // namespace skiff::host
