// One error style for all of skiff: throw skiff::Error, catch it at the
// command boundary (main.cpp), print "Error: <message>" and exit with code().
#pragma once

#include <stdexcept>
#include <string>

namespace skiff {

// Docker's exit codes for failures of the engine itself.
inline constexpr int kExitEngine = 125;
inline constexpr int kExitCannotInvoke = 126;
inline constexpr int kExitNotFound = 127;

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int exit_code = kExitEngine)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

private:
    int exit_code_;
};

// "what: strerror(errno)" — for failed system calls.
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int err);

// Raised when a lookup misses (container, image, volume…): commands such as
// `exists` turn it into exit 1 instead of 125.
class NotFound : public Error {
public:
    explicit NotFound(const std::string& message) : Error(message) {}
};

// A C++ exception that is not a skiff::Error is a bug in skiff: the user
// sees which command hit it and is asked to report it, never a raw
// "std::bad_alloc" or "basic_string::_M_create".
// The command is the one main() names with set_command_name().
void set_command_name(const std::string& command);
std::string internal_error_message(const char* what);

}  // namespace skiff
