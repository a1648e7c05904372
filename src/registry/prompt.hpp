// Asking the user on the terminal (login's username and password).
#pragma once

#include <string>

namespace skiff::registry {

// Prints `question` on stderr and reads one line from the terminal
// (/dev/tty, else stdin). With `secret` the input is not echoed.
std::string prompt_line(const std::string& question, bool secret);

// Reads all of stdin (--password-stdin), without the trailing newline.
std::string read_stdin_secret();

}  // namespace skiff::registry
