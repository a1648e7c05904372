// An exclusive flock(2) on a file, held for the object's life.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace skiff {

class FileLock {
public:
    FileLock() = default;
    // Creates `path` (mode 0600) if needed and waits for the lock.
    explicit FileLock(const std::string& path);

    bool held() const { return fd_.valid(); }
    void release() { fd_.reset(); }
    // Unlinks the file while still holding it: a waiter that then gets the
    // lock on the old inode must re-check whatever the lock guards.
    void release_and_remove();

private:
    std::string path_;
    UniqueFd fd_;
};

}  // namespace skiff
