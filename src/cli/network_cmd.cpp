// This file registers hako network (engine/net); the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_network_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
