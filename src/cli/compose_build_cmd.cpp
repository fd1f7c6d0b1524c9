// This file registers hako build, pull, push for compose services; the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_compose_build_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
