// This file registers hako image save, load, pull, push; the verbs arrive with the work that builds them.
#include "src/cli/context.h"

namespace hako::cli {

void add_image_archive_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
