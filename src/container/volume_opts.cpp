#include "container/volume_opts.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <vector>

#include "oci/mounts.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/validate.hpp"

namespace skiff::container {

bool valid_volume_name(std::string_view name) {
    auto ok = [](char c, bool first) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
        return !first && (c == '_' || c == '.' || c == '-');
    };
    if (name.size() < 2) return false;
    for (size_t i = 0; i < name.size(); ++i)
        if (!ok(name[i], i == 0)) return false;
    return true;
}

void check_volume_name(const std::string& name, bool hint) {
    if (valid_volume_name(name)) return;
    throw Error("create " + name + ": \"" + name +
                "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
                "allowed" +
                (hint ? ". If you intended to pass a host directory, use absolute path" : ""));
}

bool LocalVolumeOptions::bind() const { return (flags & MS_BIND) != 0; }

LocalVolumeOptions parse_local_options(const std::map<std::string, std::string>& opts, bool rootless) {
    LocalVolumeOptions out;
    for (auto& [k, v] : opts)
        if (k != "type" && k != "device" && k != "o") throw Error("invalid option: \"" + k + "\"");
    // Docker's mandatory pairs: a device needs a type and the other way
    // round; mount options need both.
    static const std::vector<std::pair<std::string, std::vector<std::string>>> needs = {
        {"device", {"type"}}, {"type", {"device"}}, {"o", {"device", "type"}}};
    for (auto& [opt, required] : needs)
        if (opts.count(opt))
            for (auto& r : required)
                if (!opts.count(r)) throw Error("missing required option: \"" + r + "\"");
    if (opts.empty()) return out;
    out.type = opts.at("type");
    out.device = opts.at("device");
    if (out.type.empty()) throw Error("invalid option: \"type\" must not be empty");
    if (out.device.empty()) throw Error("invalid option: \"device\" must not be empty");
    std::vector<std::string> words;
    if (auto it = opts.find("o"); it != opts.end())
        for (auto& w : str::split(it->second, ','))
            if (!w.empty() && w != "defaults") words.push_back(w);
    oci::MountOptions mo = oci::parse_mount_options(words);
    out.flags = mo.flags;
    if (mo.bind) out.flags |= MS_BIND;
    if (mo.recursive) out.flags |= MS_REC;
    out.data = mo.data;
    if (out.bind() && out.device[0] != '/')
        throw Error("invalid option: a bind volume's device must be an absolute path, not \"" + out.device + "\"");
    if (rootless && !out.bind() && out.type != "tmpfs")
        throw Error("volume type \"" + out.type +
                    "\" cannot be mounted by a rootless user: only tmpfs and bind (o=bind) volumes can");
    return out;
}

std::optional<MountSpec> parse_volume_flag(const std::string& v) {
    auto parts = str::split(v, ':');
    if (v.empty() || parts[0].empty()) throw Error("invalid volume specification: \"" + v + "\"");
    MountSpec m;
    m.type = "volume";
    if (parts.size() == 1) {
        m.destination = validate::mount_destination(v, "volume specification " + validate::shown(v) + ": container path");
        return m;
    }
    if (parts[0][0] == '/' || parts[0][0] == '.') return std::nullopt;
    if (parts.size() > 3) throw Error("invalid volume specification: \"" + v + "\"");
    check_volume_name(parts[0], true);
    m.source = parts[0];
    m.destination = validate::mount_destination(parts[1], "volume specification " + validate::shown(v) + ": container path");
    if (parts.size() == 3) {
        static const std::vector<std::string> ok = {"ro", "rw", "z", "Z", "nocopy", "noexec", "exec",
                                                    "nosuid", "suid", "nodev", "dev"};
        for (auto& o : validate::volume_mode(parts[2], v, ok))
            if (o != "rw") m.options.push_back(o);
    }
    return m;
}

}  // namespace skiff::container
