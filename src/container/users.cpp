#include "container/users.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"
#include "util/validate.hpp"

namespace skiff::container {

namespace {

bool numeric(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// An ID from the user or from the image's files: a malformed or
// out-of-range one is an error, never a truncated ID.
uint32_t id_of(const std::string& s, const std::string& what) { return validate::id(s, what); }

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
    return resolve_user_in(read_in_root(rootfs, "/etc/passwd"), read_in_root(rootfs, "/etc/group"), user, group_add);
}

ResolvedUser resolve_user_in(const std::string& passwd_text, const std::string& group_text, const std::string& user,
                             const std::vector<std::string>& group_add) {
    ResolvedUser r;
    auto passwd = entries(passwd_text);
    auto group = entries(group_text);
    auto [u, g] = str::split_once(user.empty() ? "0" : user, ':');
    bool found = false;
    for (auto& e : passwd) {
        if (e.fields.size() < 7) continue;
        if ((numeric(u) && e.fields[2] == u) || e.fields[0] == u) {
            r.uid = id_of(e.fields[2], "user ID of " + e.fields[0] + " in the passwd file");
            r.gid = id_of(e.fields[3], "group ID of " + e.fields[0] + " in the passwd file");
            r.home = e.fields[5].empty() ? "/" : e.fields[5];
            found = true;
            break;
        }
    }
    if (!found) {
        if (!numeric(u)) throw Error("unable to find user " + u + ": no matching entries in passwd file");
        r.uid = id_of(u, "user ID");
        r.gid = 0;
    }
    auto lookup_group = [&](const std::string& name) -> gid_t {
        if (numeric(name)) return id_of(name, "group ID");
        for (auto& e : group)
            if (e.fields.size() >= 3 && e.fields[0] == name) return id_of(e.fields[2], "ID of group " + name + " in the group file");
        throw Error("unable to find group " + name + ": no matching entries in group file");
    };
    if (!g.empty()) r.gid = lookup_group(g);
    // Supplementary groups the user belongs to, as Docker resolves them.
    if (found && g.empty()) {
        std::string name;
        for (auto& e : passwd)
            if (e.fields.size() >= 3 && e.fields[2] == std::to_string(r.uid)) {
                name = e.fields[0];
                break;
            }
        for (auto& e : group) {
            if (e.fields.size() < 4) continue;
            for (auto& m : str::split(e.fields[3], ','))
                if (m == name) {
                    gid_t gid = id_of(e.fields[2], "ID of group " + e.fields[0] + " in the group file");
                    if (gid != r.gid) r.additional_gids.push_back(gid);
                }
        }
    }
    for (auto& ga : group_add) r.additional_gids.push_back(lookup_group(ga));
    return r;
}

}  // namespace skiff::container
