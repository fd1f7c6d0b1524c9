// This file registers hako system (info, devices); the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_system_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
