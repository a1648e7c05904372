#include "util/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>

namespace skiff::memory {

namespace {

struct Mapping {
    unsigned long start = 0, end = 0;
    bool candidate = false;  // file-backed and not writable
    bool written = false;    // holds private copies (relocations, RELRO)
};

void release(const Mapping& m) {
    if (m.candidate && !m.written) ::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED);
}

}  // namespace

void release_startup_pages() {
    ::malloc_trim(0);
    // smaps, not maps: a read-only mapping may still hold pages the loader
    // wrote before protecting them (RELRO); dropping those would bring
    // back the file's unrelocated bytes.
    FILE* smaps = std::fopen("/proc/self/smaps", "re");
    if (!smaps) return;
    char line[4096];
    Mapping cur;
    while (std::fgets(line, sizeof line, smaps)) {
        unsigned long start = 0, end = 0, kb = 0;
        char perms[8] = {};
        int path_at = 0;
        if (std::sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &path_at) >= 3 && path_at > 0) {
            release(cur);
            cur = Mapping{start, end, line[path_at] == '/' && perms[1] == '-' && perms[3] == 'p', false};
        } else if (std::sscanf(line, "Anonymous: %lu kB", &kb) == 1 && kb > 0) {
            cur.written = true;
        }
    }
    release(cur);
    std::fclose(smaps);
}

}  // namespace skiff::memory
