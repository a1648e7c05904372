#include "util/log.hpp"

#include <cstdio>

namespace skiff::log {

namespace {
Level current = Level::Warn;
}

void set_level(const std::string& name) {
    if (name == "trace") current = Level::Trace;
    else if (name == "debug") current = Level::Debug;
    else if (name == "info") current = Level::Info;
    else if (name == "error" || name == "fatal" || name == "panic") current = Level::Error;
    else current = Level::Warn;
}

bool enabled(Level level) { return level >= current; }

void write(Level level, const std::string& message) {
    static const char* names[] = {"trace", "debug", "info", "warning", "error"};
    std::fprintf(stderr, "level=%s msg=\"%s\"\n", names[static_cast<int>(level)], message.c_str());
}

}  // namespace skiff::log
