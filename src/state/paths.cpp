#include "state/paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"

namespace skiff::state {

namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
}

std::string home_dir() {
    std::string home = env_or_empty("HOME");
    if (!home.empty()) return home;
    if (struct passwd* pw = getpwuid(getuid())) return pw->pw_dir;
    throw Error("cannot find the home directory: $HOME is unset and the user has no passwd entry");
}

bool usable_private_dir(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
           ::access(path.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string user_runtime_dir() {
    std::string xdg = env_or_empty("XDG_RUNTIME_DIR");
    if (!xdg.empty()) return xdg;
    std::string run_user = "/run/user/" + std::to_string(getuid());
    if (usable_private_dir(run_user)) return run_user;
    std::string tmp = "/tmp/skiff-run-" + std::to_string(getuid());
    if (::mkdir(tmp.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("mkdir " + tmp);
    // Someone else could have planted it: it must be ours and private.
    struct stat st;
    if (::lstat(tmp.c_str(), &st) < 0) throw_errno("stat " + tmp);
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0)
        throw Error("runtime directory " + tmp + " is not a private directory owned by you; set XDG_RUNTIME_DIR");
    return tmp;
}

Paths Paths::resolve(const PathOverrides& o) {
    Paths p;
    // Root of skiff's own user namespace is still the user: same paths.
    p.rootless_ = geteuid() != 0 || host::in_user_namespace();
    if (p.rootless_) {
        std::string data = env_or_empty("XDG_DATA_HOME");
        if (data.empty()) data = home_dir() + "/.local/share";
        std::string config = env_or_empty("XDG_CONFIG_HOME");
        if (config.empty()) config = home_dir() + "/.config";
        p.root_ = data + "/skiff";
        p.config_dir_ = config + "/skiff";
        p.runroot_ = o.runroot.empty() ? user_runtime_dir() + "/skiff" : o.runroot;
    } else {
        p.root_ = "/var/lib/skiff";
        p.runroot_ = "/run/skiff";
        p.config_dir_ = "/etc/skiff";
    }
    if (!o.root.empty()) p.root_ = o.root;
    if (!o.runroot.empty()) p.runroot_ = o.runroot;
    if (!o.config.empty()) {
        p.config_file_ = o.config;
        p.config_explicit_ = true;
    } else if (const char* env = std::getenv("SKIFF_CONFIG"); env && *env) {
        p.config_file_ = env;
        p.config_explicit_ = true;
    } else {
        p.config_file_ = p.config_dir_ + "/skiff.conf";
        if (p.rootless_ && !fs::exists(p.config_file_)) p.config_file_ = "/etc/skiff/skiff.conf";
    }
    return p;
}

void Paths::ensure() const {
    fs::make_dirs(root_, rootless_ ? 0700 : 0711);
    fs::make_dirs(runroot_, 0700);
}

}  // namespace skiff::state
