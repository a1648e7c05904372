// The runc-compatible command line of the built-in runtime: `skiff oci …`,
// and the whole program when the binary is invoked as `skiff-runtime`.
#pragma once

#include <string>
#include <vector>

namespace skiff::oci {

// args: the words after `skiff oci` (or after argv[0] for skiff-runtime):
// global flags, then the subcommand and its flags. Returns the exit code;
// errors go to stderr (and to --log, in --log-format) as runc prints them.
int cli_main(const std::vector<std::string>& args);

}  // namespace skiff::oci
