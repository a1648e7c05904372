#include "container/users.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace skiff::container {

namespace {

bool numeric(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

struct Entry {
    std::vector<std::string> fields;
};

std::vector<Entry> entries(const std::string& text) {
    std::vector<Entry> out;
    for (auto& line : str::split(text, '\n')) {
        if (line.empty() || line[0] == '#') continue;
        out.push_back({str::split(line, ':')});
    }
    return out;
}

}  // namespace

std::string read_in_root(const std::string& rootfs, const std::string& path) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open " + rootfs);
    struct open_how how {};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = path;
    while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
    int fd = static_cast<int>(::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how));
    if (fd < 0) return "";
    UniqueFd f(fd);
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(f.get(), buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > (16 << 20)) break;  // a passwd file is never this large
    }
    return out;
}

ResolvedUser resolve_user(const std::string& rootfs, const std::string& user, const std::vector<std::string>& group_add) {
    ResolvedUser r;
    auto passwd = entries(read_in_root(rootfs, "/etc/passwd"));
    auto group = entries(read_in_root(rootfs, "/etc/group"));
    auto [u, g] = str::split_once(user.empty() ? "0" : user, ':');
    bool found = false;
    for (auto& e : passwd) {
        if (e.fields.size() < 7) continue;
        if ((numeric(u) && e.fields[2] == u) || e.fields[0] == u) {
            r.uid = static_cast<uid_t>(std::stoul(e.fields[2]));
            r.gid = static_cast<gid_t>(std::stoul(e.fields[3]));
            r.home = e.fields[5].empty() ? "/" : e.fields[5];
            found = true;
            break;
        }
    }
    if (!found) {
        if (!numeric(u)) throw Error("unable to find user " + u + ": no matching entries in passwd file");
        r.uid = static_cast<uid_t>(std::stoul(u));
        r.gid = 0;
    }
    auto lookup_group = [&](const std::string& name) -> gid_t {
        if (numeric(name)) return static_cast<gid_t>(std::stoul(name));
        for (auto& e : group)
            if (e.fields.size() >= 3 && e.fields[0] == name) return static_cast<gid_t>(std::stoul(e.fields[2]));
        throw Error("unable to find group " + name + ": no matching entries in group file");
    };
    if (!g.empty()) r.gid = lookup_group(g);
    // Supplementary groups the user belongs to, as Docker resolves them.
    if (found && g.empty()) {
        std::string name;
        for (auto& e : passwd)
            if (e.fields.size() >= 3 && std::stoul(e.fields[2]) == r.uid) {
                name = e.fields[0];
                break;
            }
        for (auto& e : group) {
            if (e.fields.size() < 4) continue;
            for (auto& m : str::split(e.fields[3], ','))
                if (m == name) {
                    gid_t gid = static_cast<gid_t>(std::stoul(e.fields[2]));
                    if (gid != r.gid) r.additional_gids.push_back(gid);
                }
        }
    }
    for (auto& ga : group_add) r.additional_gids.push_back(lookup_group(ga));
    return r;
}

}  // namespace skiff::container
