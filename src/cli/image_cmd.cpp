// `hako image …`: placeholder until the image store lands.
#include <CLI/CLI.hpp>

#include "src/cli/context.h"

namespace hako::cli {
void add_image_commands(CLI::App&, Context&) {}
}  // namespace hako::cli
