// --log-level: messages at or above the chosen level go to stderr, in
// Podman's "level=debug msg=…" shape.
#pragma once

#include <string>

namespace skiff::log {

enum class Level { Trace, Debug, Info, Warn, Error };

void set_level(const std::string& name);
bool enabled(Level level);
void write(Level level, const std::string& message);

inline void debug(const std::string& m) {
    if (enabled(Level::Debug)) write(Level::Debug, m);
}
inline void info(const std::string& m) {
    if (enabled(Level::Info)) write(Level::Info, m);
}

}  // namespace skiff::log
