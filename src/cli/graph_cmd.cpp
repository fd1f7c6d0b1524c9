// `hako graph`: prints the project's services, networks and volumes as a
// Graphviz DOT picture, or the levels of services that start together.
#include <CLI/CLI.hpp>
#include <iostream>

#include "src/cli/context.h"
#include "src/cli/global_options.h"
#include "src/cli/output.h"
#include "src/graph/graph.h"
#include "src/project/project.h"

namespace hako::cli {

namespace {

struct GraphFlags {
    bool levels = false;
    std::optional<std::string> output;
};

Result<void> run_graph(Context& ctx, const GraphFlags& flags) {
    project::LoadOptions options = load_options(ctx);
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    print_warnings(diagnostics);
    if (!loaded) return std::move(loaded).error();
    graph::ProjectGraph g = TRY(graph::build_graph(*loaded));
    std::string text;
    if (flags.levels) {
        for (const auto& level : g.levels()) {
            std::string line;
            for (const auto& name : level) line += (line.empty() ? "" : " ") + name;
            text += line + '\n';
        }
    } else {
        text = graph::to_dot(g);
    }
    return write_output(flags.output, text);
}

}  // namespace

void add_graph_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<GraphFlags>();
    CLI::App* cmd = app.add_subcommand("graph", "Print the project's dependency graph as Graphviz DOT");
    cmd->add_flag("--levels", flags->levels,
                  "Print the start order instead: one line per level, the services of a level start together");
    cmd->add_option("-o,--output", flags->output, "Write to FILE (atomically) instead of stdout")->type_name("FILE");
    cmd->callback([flags, &ctx] { ctx.exit_status = report(run_graph(ctx, *flags)); });
}

}  // namespace hako::cli
