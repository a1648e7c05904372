// `skiff oci …`: the built-in runtime's runc-compatible command line. Its
// words are parsed by src/oci itself, as runc's are.
#include "cli/context.hpp"
#include "commands/registry.hpp"
#include "oci/cli.hpp"

namespace skiff::commands {

namespace {
int oci_handler(Context&, const cli::Args& args) { return oci::cli_main(args.positionals); }
}  // namespace

void register_oci(cli::Table& t) {
    cli::Command c;
    c.path = "oci";
    c.usage = "[GLOBAL OPTIONS] COMMAND [OPTIONS] [ARG...]";
    c.summary = "Run containers from OCI bundles with the built-in runtime (runc-compatible)";
    c.description =
        "The built-in OCI runtime, with runc's command line: create, start, state, kill, delete, run, exec, ps, "
        "features and spec. The same binary installed as skiff-runtime acts as this runtime for other engines, "
        "e.g. podman --runtime /usr/local/bin/skiff-runtime.";
    c.raw_args = true;
    c.handler = oci_handler;
    c.examples = {"skiff oci spec --rootless", "skiff oci run -b ./bundle mycontainer"};
    t.add(std::move(c));
}

}  // namespace skiff::commands
