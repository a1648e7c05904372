// The lean skiff-runtime executable: only the OCI runtime, linked against
// libseccomp and libcap alone. It starts in ~1 ms where the full skiff
// binary (48 shared libraries) needs ~5 ms, which is most of a container
// start; see src/oci/meson.build.
#include <string>
#include <vector>

#include "oci/cli.hpp"

int main(int argc, char** argv) {
    return skiff::oci::cli_main(std::vector<std::string>(argv + 1, argv + argc));
}
