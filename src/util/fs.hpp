// File helpers that never leave a half-written file behind.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace skiff::fs {

// Writes via temp file + fsync + rename + fsync(dir): readers see the old
// content or the new, never a mix, even after a crash.
void write_atomic(const std::string& path, std::string_view content, mode_t mode = 0644);

// Temp file + rename without fsync: readers never see a partial file, but
// a crash may lose it. For run-time state (runroot is a tmpfs, rebuilt on
// every start), where an fsync would only slow a container's start.
void write_volatile(const std::string& path, std::string_view content, mode_t mode = 0644);

std::string read_file(const std::string& path);
std::optional<std::string> read_file_if_exists(const std::string& path);

// mkdir -p; existing directories are fine.
void make_dirs(const std::string& path, mode_t mode = 0755);

bool exists(const std::string& path);
bool is_dir(const std::string& path);

// rm -rf that does not follow symlinks and stays on one path.
void remove_all(const std::string& path);

std::string join(std::string_view a, std::string_view b);
std::string dirname(std::string_view path);
std::string basename(std::string_view path);

// Finds `name` in $PATH (or returns it when it holds a slash and exists).
std::optional<std::string> find_executable(std::string_view name);
// find_executable, then the sbin directories a user's PATH lacks on Debian
// (nft is /usr/sbin/nft, and rootless networks run it as the user).
std::optional<std::string> find_system_executable(std::string_view name);

UniqueFd open_or_throw(const std::string& path, int flags, mode_t mode = 0);

}  // namespace skiff::fs
