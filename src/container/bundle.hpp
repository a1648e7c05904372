// The OCI config.json for a container: Podman's defaults, the image's
// config and the user's flags.
#pragma once

#include <string>

#include "container/record.hpp"
#include "container/users.hpp"
#include "net/etc_files.hpp"
#include "util/json.hpp"

namespace skiff::container {

struct BundleInputs {
    const Container* container = nullptr;
    Json image_config;        // the image config's "config" object
    std::string rootfs;       // mounted root filesystem
    std::string etc_dir;      // where hosts, hostname and resolv.conf were written
    ResolvedUser user;
    bool userns = false;      // the monitor runs in a rootless user namespace
    bool full_id_map = true;  // subordinate ranges are mapped (else only our own ID)
    std::map<std::string, int> join_pids;  // container:X namespaces: type -> pid to join
    std::string netns_path;  // a network namespace to join (private network, ns:PATH)
    std::vector<std::string> default_capabilities;  // skiff.conf's, "CHOWN" or "CAP_CHOWN"
};

Json make_oci_config(const BundleInputs& in);

// The static init `--init` mounts at /dev/init: next to the skiff binary
// (build tree, test staging) or in LIBEXECDIR/skiff.
std::string find_init_binary();

// The process's argv: Entrypoint + Cmd rules of Docker.
std::vector<std::string> container_argv(const ContainerSpec& spec, const Json& image_config);
// Image env, then the user's (later wins), PATH and HOSTNAME guaranteed.
std::vector<std::string> container_env(const ContainerSpec& spec, const Json& image_config, const std::string& hostname,
                                       const std::string& home);
// The container's hostname: --hostname or the short ID.
std::string container_hostname(const Container& c);

// /etc/hosts, /etc/hostname and /etc/resolv.conf for the container
// (net/etc_files); `net_helper`: pasta or slirp4netns for a private network.
void write_etc_files(const Container& c, const std::string& dir, const net::EtcAddresses& a = {});

}  // namespace skiff::container
