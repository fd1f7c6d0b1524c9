// This file registers the compose lifecycle verbs (up, create, down, start, stop,
// restart, kill, rm, run, scale) and implements the session they share: project
// loading, the engine, the project lock and stop ordering.
#include "src/cli/compose_lifecycle_cmd.h"

#include <CLI/CLI.hpp>
#include <set>

#include "src/cli/global_options.h"
#include "src/cli/output.h"

namespace hako::cli {

Result<ComposeSession> open_session(Context& ctx, const std::vector<std::string>& services, NeedProject need) {
    ComposeSession session;
    project::LoadOptions options = load_options(ctx);
    options.services = services;
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    print_warnings(diagnostics);
    if (loaded.ok()) {
        session.project = std::move(loaded).value();
        session.name = session.project->name;
        session.graph = TRY(graph::build_graph(*session.project));
    } else if (need == NeedProject::NameIsEnough && ctx.global.project_name) {
        session.name = *ctx.global.project_name;
    } else {
        return std::move(loaded).error();
    }
    session.engine = TRY(reconcile::LocalEngine::open(ctx.global.root));
    session.lock = TRY(reconcile::lock_project(ctx.global.root, session.name));
    return session;
}

Result<std::vector<reconcile::ObservedContainer>> project_containers(ComposeSession& session,
                                                                     const std::vector<std::string>& services,
                                                                     bool include_oneoff) {
    if (session.project)
        for (const auto& service : services)
            if (!session.project->model["services"].contains(service)) return Error("no such service: " + service);
    auto observed = TRY(session.engine->observe(session.name));
    std::set<std::string> wanted(services.begin(), services.end());
    std::vector<reconcile::ObservedContainer> out;
    for (auto& container : observed.containers) {
        if (container.oneoff && !include_oneoff) continue;
        if (!wanted.empty() && !wanted.count(container.service)) continue;
        out.push_back(std::move(container));
    }
    return out;
}

reconcile::StopRequest stop_request(const ComposeSession& session, std::vector<reconcile::ObservedContainer> containers) {
    reconcile::StopRequest request;
    if (session.graph) {
        request.order = session.graph->start_order();
        for (const auto& service : request.order) request.dependents[service] = session.graph->dependents(service);
    }
    request.containers = std::move(containers);
    return request;
}

Result<std::unique_ptr<Progress>> make_progress(const Context& ctx, const std::string& title) {
    ProgressMode mode = TRY(progress_mode(ctx));
    return std::make_unique<Progress>(mode, title);
}

void add_compose_lifecycle_commands(CLI::App& app, Context& ctx) {
    add_compose_up_command(app, ctx);
    add_compose_down_command(app, ctx);
    add_compose_start_commands(app, ctx);
    add_compose_run_command(app, ctx);
    add_compose_scale_command(app, ctx);
}

}  // namespace hako::cli
