// This file registers the verbs that work on a Compose project, one file per
// verb (config_cmd.cpp, graph_cmd.cpp; later up, down, ps, logs…).
#include <CLI/CLI.hpp>

#include "src/cli/context.h"

namespace hako::cli {

// Defined in the verb's own file.
void add_config_command(CLI::App& app, Context& ctx);
void add_graph_command(CLI::App& app, Context& ctx);

void add_project_commands(CLI::App& app, Context& ctx) {
    add_config_command(app, ctx);
    add_graph_command(app, ctx);
}

}  // namespace hako::cli
