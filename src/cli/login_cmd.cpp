// This file registers hako login and logout (registry credentials); the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_login_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
