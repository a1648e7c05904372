#include "container/keepid.hpp"

#include <unistd.h>

#include <sstream>

#include "container/bundle.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace skiff::container {

namespace {

uint32_t parse_id(const std::string& v, const std::string& whole) {
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9)
        throw Error("invalid --userns " + whole + ": \"" + v + "\" is not an ID");
    return static_cast<uint32_t>(std::stoul(v));
}

Json to_json(const std::vector<NsIdMap>& m) {
    Json out = Json::array();
    for (auto& e : m) out.push_back({{"containerID", e.inside}, {"hostID", e.outside}, {"size", e.size}});
    return out;
}

// The ID the parent namespace shows as 0 is the user's host ID.
uint32_t host_id_of_zero(const std::vector<NsIdMap>& m) {
    for (auto& e : m)
        if (e.inside == 0) return e.outside;
    throw Error("--userns keep-id: this process's user namespace does not map ID 0");
}

// name and home of a host user from /etc/passwd (no NSS inside a namespace).
std::pair<std::string, std::string> host_user(uint32_t uid) {
    for (auto& line : str::split(fs::read_file_if_exists("/etc/passwd").value_or(""), '\n')) {
        auto f = str::split(line, ':');
        if (f.size() >= 6 && f[2] == std::to_string(uid)) return {f[0], f[5]};
    }
    return {std::to_string(uid), "/"};
}

bool has_id(const std::string& text, uint32_t id, size_t field) {
    for (auto& line : str::split(text, '\n')) {
        auto f = str::split(line, ':');
        if (f.size() > field && f[field] == std::to_string(id)) return true;
    }
    return false;
}

std::string appended(std::string text, const std::string& line) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    return text + line + "\n";
}

}  // namespace

bool is_nested_userns_mode(const std::string& value) {
    return value == "keep-id" || value.rfind("keep-id:", 0) == 0;
}

KeepIdMode parse_userns_mode(const std::string& value) {
    KeepIdMode m;
    if (value == "keep-id") return m;
    if (value.rfind("keep-id:", 0) != 0) throw Error("invalid --userns \"" + value + "\"");
    for (auto& opt : str::split(value.substr(8), ',')) {
        auto [k, v] = str::split_once(opt, '=');
        if (k == "uid") m.uid = parse_id(v, value);
        else if (k == "gid") m.gid = parse_id(v, value);
        else throw Error("invalid --userns " + value + ": unknown option \"" + k + "\" (uid, gid)");
    }
    return m;
}

std::vector<NsIdMap> parse_ns_map(std::string_view text) {
    std::vector<NsIdMap> out;
    std::istringstream in{std::string(text)};
    unsigned long long a, b, c;
    while (in >> a >> b >> c)
        out.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(b), static_cast<uint32_t>(c)});
    return out;
}

uint32_t mapped_count(const std::vector<NsIdMap>& m) {
    uint64_t end = 0;
    for (auto& e : m) end = std::max<uint64_t>(end, uint64_t(e.inside) + e.size);
    return static_cast<uint32_t>(std::min<uint64_t>(end, UINT32_MAX));
}

std::vector<NsIdMap> keep_id_mapping(uint32_t id, uint32_t total) {
    std::vector<NsIdMap> out;
    if (total <= 1) return {{id, 0, 1}};
    uint32_t below = std::min(id, total - 1);  // container 0..below-1 -> parent 1..below
    if (below > 0) out.push_back({0, 1, below});
    out.push_back({id, 0, 1});
    if (id + 1 < total) out.push_back({id + 1, id + 1, total - id - 1});
    return out;
}

std::string passwd_with(const std::string& passwd, const std::string& name, uint32_t uid, uint32_t gid,
                        const std::string& home) {
    if (has_id(passwd, uid, 2)) return passwd;
    return appended(passwd, name + ":*:" + std::to_string(uid) + ":" + std::to_string(gid) + ":" + name + ":" + home +
                                ":/bin/sh");
}

std::string group_with(const std::string& group, const std::string& name, uint32_t gid) {
    if (has_id(group, gid, 2)) return group;
    return appended(group, name + ":x:" + std::to_string(gid) + ":" + name);
}

void apply_nested_userns(Json& cfg, const BundleInputs& in) {
    const ContainerSpec& s = in.container->spec;
    KeepIdMode mode = parse_userns_mode(s.userns);
    auto uids = parse_ns_map(fs::read_file("/proc/self/uid_map"));
    auto gids = parse_ns_map(fs::read_file("/proc/self/gid_map"));
    uint32_t host_uid = host_id_of_zero(uids), host_gid = host_id_of_zero(gids);
    uint32_t uid = mode.uid.value_or(host_uid), gid = mode.gid.value_or(host_gid);
    auto& linux = cfg["linux"];
    linux["namespaces"].push_back({{"type", "user"}});
    linux["uidMappings"] = to_json(keep_id_mapping(uid, mapped_count(uids)));
    linux["gidMappings"] = to_json(keep_id_mapping(gid, mapped_count(gids)));
    auto [name, home] = host_user(host_uid);
    // An ID without subordinate ranges: /dev/pts's gid=5 is unmapped.
    if (mapped_count(gids) <= 1)
        for (auto& m : cfg["mounts"])
            if (m["destination"] == "/dev/pts") {
                Json opts = Json::array();
                for (auto& o : m["options"])
                    if (o != "gid=5") opts.push_back(o);
                m["options"] = opts;
            }
    if (!s.user.empty()) return;  // --user wins over the user's own ID
    auto& p = cfg["process"];
    p["user"] = {{"uid", uid}, {"gid", gid}};
    // Not root any more: no effective capabilities, as for any other user.
    p["capabilities"]["permitted"] = Json::array();
    p["capabilities"]["effective"] = Json::array();
    bool user_home = false;
    for (auto& e : s.env) user_home |= e.rfind("HOME=", 0) == 0;
    if (!user_home)
        for (auto& e : p["env"])
            if (e.get<std::string>().rfind("HOME=", 0) == 0) e = "HOME=" + home;
    // Podman adds the user to the image's passwd and group files.
    std::string etc = in.rootfs + "/etc";
    if (!fs::is_dir(etc)) return;
    fs::write_volatile(in.etc_dir + "/passwd",
                       passwd_with(fs::read_file_if_exists(etc + "/passwd").value_or(""), name, uid, gid, home));
    fs::write_volatile(in.etc_dir + "/group",
                       group_with(fs::read_file_if_exists(etc + "/group").value_or(""), name, gid));
    for (const char* f : {"passwd", "group"})
        cfg["mounts"].push_back({{"destination", std::string("/etc/") + f},
                                 {"type", "bind"},
                                 {"source", in.etc_dir + "/" + f},
                                 {"options", {"rbind", "rprivate"}}});
}

}  // namespace skiff::container
