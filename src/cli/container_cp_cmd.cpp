// This file registers hako container cp; the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_container_cp_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
