// `hako runtime …`: placeholder until the built-in OCI runtime lands.
#include <CLI/CLI.hpp>

#include "src/cli/context.h"

namespace hako::cli {
void add_runtime_commands(CLI::App&, Context&) {}
}  // namespace hako::cli
