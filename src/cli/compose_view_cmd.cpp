// This file registers the compose view verbs (ps, logs, …); the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_compose_view_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
