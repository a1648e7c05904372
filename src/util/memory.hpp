// Long-lived helper processes (the per-container monitor) are forked from
// the full skiff binary, whose start-up touched megabytes of code they
// will never run again.
#pragma once

namespace skiff::memory {

// Lets go of the pages of read-only file mappings (code, constants) and
// returns free heap to the kernel. Pages still needed fault back in from
// the page cache; nothing the process wrote is touched (writable mappings
// are left alone).
void release_startup_pages();

}  // namespace skiff::memory
