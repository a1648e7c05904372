#include "net/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::net {

void make_netns(const std::string& path) {
    {
        UniqueFd f(::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        if (!f) throw_errno("create " + path);
    }
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork");
    if (child == 0) {
        if (::unshare(CLONE_NEWNET) < 0) _exit(1);
        if (::mount("/proc/self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) < 0) _exit(2);
        _exit(0);
    }
    int st = 0;
    while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        ::unlink(path.c_str());
        throw Error(std::string("cannot create the container's network namespace: ") +
                    (WIFEXITED(st) && WEXITSTATUS(st) == 1 ? "unshare(CLONE_NEWNET) was refused"
                                                           : "binding it to " + path + " failed"));
    }
}

void remove_netns(const std::string& path) noexcept {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
}

}  // namespace skiff::net
