// This file registers the compose lifecycle verbs (up, down, …); the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_compose_lifecycle_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
