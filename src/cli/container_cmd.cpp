// `hako container …`: placeholder until the runtime lands.
#include <CLI/CLI.hpp>

#include "src/cli/context.h"

namespace hako::cli {
void add_container_commands(CLI::App&, Context&) {}
}  // namespace hako::cli
