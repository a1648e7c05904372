// skiff.conf: TOML, every key optional; command-line flags override it.
#pragma once

#include <string>
#include <vector>

namespace skiff::state {

struct Config {
    std::string storage_driver;  // "" = detect: overlay, then fuse-overlayfs, then vfs
    std::string runtime = "builtin";
    std::string log_driver = "k8s-file";
    std::string network_helper;  // "" = detect: pasta, then slirp4netns
    // Docker's set less MKNOD and AUDIT_WRITE (of no use in a user
    // namespace); NET_RAW because `ping` is the first thing users try.
    std::vector<std::string> default_capabilities = {
        "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "NET_RAW",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"};
    std::vector<std::string> cdi_spec_dirs = {"/etc/cdi", "/var/run/cdi"};
    std::string source;  // the file it came from, "" when none existed
};

// Reads `path`; a missing file gives the defaults unless `must_exist`.
// Errors name the file, the line and the key.
Config load_config(const std::string& path, bool must_exist);
Config parse_config(const std::string& text, const std::string& source_name);

}  // namespace skiff::state
