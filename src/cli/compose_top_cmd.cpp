// `hako top [SERVICE…]`: the processes of each running container of the
// project, a table per container under its name, as docker compose top shows.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/container/top.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

Result<void> run_top(Context& ctx, const std::vector<std::string>& services) {
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = services;
    selection.include_stopped = false;
    auto containers = TRY(select_containers(store, target, selection));
    int status = 0;
    for (const auto& c : containers) {
        auto table = container::top_container(store, c.record, {});
        if (!table.ok()) {
            // It may have stopped since it was listed.
            status = report(Result<void>(std::move(table).error()));
            continue;
        }
        std::vector<std::vector<std::string>> rows = {table->titles};
        for (const auto& process : table->processes) rows.push_back(process);
        std::cout << c.record.name << "\n" << format_table(rows) << "\n";
    }
    std::cout.flush();
    ctx.exit_status = status;
    return ok();
}

}  // namespace

void add_compose_top_command(CLI::App& app, Context& ctx) {
    auto services = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand("top", "Display the running processes");
    cmd->add_option("SERVICE", *services, "Services");
    cmd->callback([&ctx, services] {
        auto result = run_top(ctx, *services);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
    });
}

}  // namespace hako::cli
