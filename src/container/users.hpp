// Resolving `--user` against the container's own /etc/passwd and /etc/group.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace skiff::container {

struct ResolvedUser {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> additional_gids;
    std::string home = "/";
};

// user: "", "name", "uid", "name:group", "uid:gid". group_add: names or
// numbers. Files are read inside `rootfs` without following links out of it.
ResolvedUser resolve_user(const std::string& rootfs, const std::string& user,
                          const std::vector<std::string>& group_add);

// The same with the files' contents given (read from an image's layers at
// create, before the container has a root file system).
ResolvedUser resolve_user_in(const std::string& passwd, const std::string& group, const std::string& user,
                             const std::vector<std::string>& group_add);

// Reads a file of the container's tree, resolving links inside the tree.
std::string read_in_root(const std::string& rootfs, const std::string& path);

}  // namespace skiff::container
