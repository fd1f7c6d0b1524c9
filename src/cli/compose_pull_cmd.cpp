// This file registers hako pull and push for compose services; the verbs arrive with the registry client.
#include "src/cli/context.h"

namespace hako::cli {

void add_compose_pull_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
