// `hako pause` and `hako unpause`: freeze and thaw the running containers of
// the project's services (engine/container/pause.h).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/container/pause.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

enum class Freeze { Pause, Unpause };

Result<void> run_pause(Context& ctx, const std::vector<std::string>& services, Freeze action) {
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = services;
    selection.include_stopped = false;
    auto containers = TRY(select_containers(store, target, selection));
    int status = 0;
    for (const auto& c : containers) {
        bool paused = container::is_paused(c.record);
        if ((action == Freeze::Pause) == paused) continue;  // already as asked: nothing to do, as compose
        auto done = action == Freeze::Pause ? container::pause_container(store, c.record)
                                            : container::unpause_container(store, c.record);
        if (!done.ok()) {
            status = report(done);
            continue;
        }
        std::cerr << " Container " << c.record.name << "  " << (action == Freeze::Pause ? "Paused" : "Unpaused")
                  << std::endl;
    }
    ctx.exit_status = status;
    return ok();
}

void add_freeze_verb(CLI::App& app, Context& ctx, Freeze action) {
    auto services = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = action == Freeze::Pause ? app.add_subcommand("pause", "Pause services")
                                            : app.add_subcommand("unpause", "Unpause services");
    cmd->add_option("SERVICE", *services, "Services");
    cmd->callback([&ctx, services, action] {
        auto result = run_pause(ctx, *services, action);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
    });
}

}  // namespace

void add_compose_pause_commands(CLI::App& app, Context& ctx) {
    add_freeze_verb(app, ctx, Freeze::Pause);
    add_freeze_verb(app, ctx, Freeze::Unpause);
}

}  // namespace hako::cli
