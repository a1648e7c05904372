#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace skiff {

void throw_errno(const std::string& what) { throw_errno(what, errno); }

void throw_errno(const std::string& what, int err) {
    throw Error(what + ": " + std::strerror(err));
}

namespace {
std::string& command_name() {
    static std::string name;
    return name;
}
}  // namespace

void set_command_name(const std::string& command) { command_name() = command; }

std::string internal_error_message(const char* what) {
    const std::string& command = command_name();
    return "internal error in \"skiff" + (command.empty() ? std::string() : " " + command) + "\" (" + what +
           "): this is a bug in skiff, please report it with the command line that caused it";
}

}  // namespace skiff
