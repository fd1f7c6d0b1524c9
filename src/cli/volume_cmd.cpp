// This file registers hako volume (engine/volume); the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_volume_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
