#include "container/rootfs.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace skiff::container {

namespace {

// Layer paths share a parent: mounting from there with relative paths keeps
// the option string under the kernel's one-page limit for deep images.
std::string lowerdir_option(const RootfsRequest& r, std::string& base) {
    base = r.layers_lowest_first.empty() ? "" : fs::dirname(fs::dirname(r.layers_lowest_first.front()));
    std::vector<std::string> parts;
    for (auto it = r.layers_lowest_first.rbegin(); it != r.layers_lowest_first.rend(); ++it) {
        std::string p = *it;
        if (!base.empty() && p.rfind(base + "/", 0) == 0) p = p.substr(base.size() + 1);
        parts.push_back(p);
    }
    return str::join(parts, ":");
}

int mount_overlay(const RootfsRequest& r) {
    std::string base;
    std::string lower = lowerdir_option(r, base);
    // An image with no layers still needs a lower dir: an empty one.
    if (lower.empty()) {
        lower = r.work + "-empty";
        fs::make_dirs(lower, 0755);
    }
    std::string opts = "lowerdir=" + lower + ",upperdir=" + r.upper + ",workdir=" + r.work;
    if (r.userns) opts += ",userxattr";
    if (r.volatile_upper) opts += ",volatile";
    std::string cwd = fs::dirname(r.target);
    char old[4096];
    if (!::getcwd(old, sizeof old)) old[0] = 0;
    if (!base.empty() && ::chdir(base.c_str()) < 0) return errno;
    int rc = ::mount("overlay", r.target.c_str(), "overlay", 0, opts.c_str());
    int err = errno;
    if (old[0] && ::chdir(old) < 0) {
    }
    return rc == 0 ? 0 : err;
}

void mount_fuse(const RootfsRequest& r) {
    auto bin = fs::find_executable("fuse-overlayfs");
    if (!bin) throw Error("storage driver fuse-overlayfs: the fuse-overlayfs program is not installed");
    std::vector<std::string> lowers(r.layers_lowest_first.rbegin(), r.layers_lowest_first.rend());
    std::string opts = "lowerdir=" + str::join(lowers, ":") + ",upperdir=" + r.upper + ",workdir=" + r.work;
    auto res = run_capture({*bin, "-o", opts, r.target});
    if (res.status != 0) throw Error("fuse-overlayfs: " + str::trim(res.err));
}

}  // namespace

std::string mount_rootfs(const RootfsRequest& r) {
    fs::make_dirs(r.upper, 0755);
    fs::make_dirs(r.work, 0700);
    fs::make_dirs(r.target, 0755);
    if (r.driver == "vfs")
        throw Error("storage driver vfs: containers on vfs are not implemented yet; use overlay or fuse-overlayfs");
    if (r.driver == "fuse-overlayfs") {
        mount_fuse(r);
        return "fuse-overlayfs";
    }
    int err = mount_overlay(r);
    if (err == 0) return "overlay";
    if (r.driver == "overlay")
        throw Error(std::string("storage driver overlay: mount failed: ") + std::strerror(err) +
                    " (try --storage-driver fuse-overlayfs)");
    mount_fuse(r);
    return "fuse-overlayfs";
}

}  // namespace skiff::container
