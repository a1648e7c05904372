// See lazy_libs.cpp: libarchive and libcurl load on first use.
#pragma once

namespace skiff::lazy {

// Loads libarchive now: a process about to enter a container's mount
// namespace can no longer find it on disk.
void load_archive();

}  // namespace skiff::lazy
