#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "util/error.hpp"

namespace skiff {

FileLock::FileLock(const std::string& path) : path_(path) {
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd_) throw_errno("open lock " + path);
    while (::flock(fd_.get(), LOCK_EX) < 0)
        if (errno != EINTR) throw_errno("lock " + path);
}

void FileLock::release_and_remove() {
    if (!fd_) return;
    ::unlink(path_.c_str());
    fd_.reset();
}

}  // namespace skiff
