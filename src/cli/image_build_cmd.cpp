// This file registers hako image build; the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_image_build_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
