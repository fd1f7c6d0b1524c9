// `hako start`, `stop`, `restart`, `kill` and `rm`: act on the existing
// containers of a project's services, in dependency order (start: dependencies
// first; stop: dependents first), as docker compose does.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "engine/container/options.h"
#include "src/cli/compose_lifecycle_cmd.h"
#include "src/cli/output.h"
#include "src/reconcile/plan.h"

namespace hako::cli {

namespace {

struct ServiceFlags {
    std::vector<std::string> services;
    std::optional<int> timeout;
    std::string signal = "SIGKILL";
    bool force = false, stop_first = false, volumes = false;
    bool remove_orphans = false;
};

// Starts the stopped containers of the services, each service after those it
// depends on (and their conditions), through the planner with no recreate.
Result<void> start_services(Context& ctx, ComposeSession& session, const std::vector<std::string>& services,
                            Progress& progress, std::optional<int> timeout) {
    auto containers = TRY(project_containers(session, services));
    reconcile::Plan plan;
    plan.project = session.name;
    std::map<std::string, reconcile::ServicePlan> by_service;
    for (const auto& container : containers) {
        auto& service = by_service[container.service];
        service.service = container.service;
        reconcile::ContainerStep step;
        step.action = container.running() ? reconcile::Action::Keep : reconcile::Action::Start;
        step.name = container.name;
        step.number = container.number;
        step.existing_id = container.id;
        service.steps.push_back(step);
    }
    std::vector<std::string> order = session.graph ? session.graph->start_order() : std::vector<std::string>{};
    for (const auto& name : order) {
        auto it = by_service.find(name);
        if (it == by_service.end()) continue;
        const auto& config = session.project->service(name);
        if (config.contains("depends_on") && config["depends_on"].is_object())
            for (auto dep = config["depends_on"].begin(); dep != config["depends_on"].end(); ++dep)
                if (by_service.count(dep.key()))
                    it->second.waits.push_back({dep.key(), dep.value().value("condition", "service_started"),
                                                dep.value().value("required", true)});
        plan.services.push_back(it->second);
    }
    (void)ctx;
    reconcile::ExecuteOptions options;
    options.stop_timeout = timeout;
    return reconcile::execute(plan, *session.engine, options, progress.reporter());
}

Result<void> run_start(Context& ctx, const ServiceFlags& flags) {
    ComposeSession session = TRY(open_session(ctx, flags.services));
    auto progress = TRY(make_progress(ctx, "Running"));
    auto result = start_services(ctx, session, flags.services, *progress, flags.timeout);
    progress->finish();
    return result;
}

Result<void> run_stop(Context& ctx, const ServiceFlags& flags, bool restart) {
    ComposeSession session = TRY(open_session(ctx, flags.services, NeedProject::NameIsEnough));
    auto containers = TRY(project_containers(session, flags.services));
    auto progress = TRY(make_progress(ctx, restart ? "Restarting" : "Stopping"));
    reconcile::StopRequest request = stop_request(session, containers);
    request.timeout = flags.timeout;
    Result<void> result = reconcile::stop(request, *session.engine, progress->reporter());
    if (result.ok() && restart) {
        if (!session.project) return Error("restart needs the project's compose file");
        result = start_services(ctx, session, flags.services, *progress, flags.timeout);
    }
    progress->finish();
    return result;
}

Result<void> run_kill(Context& ctx, const ServiceFlags& flags) {
    int signal = TRY(container::parse_signal(flags.signal));
    ComposeSession session = TRY(open_session(ctx, flags.services, NeedProject::NameIsEnough));
    auto containers = TRY(project_containers(session, flags.services));
    auto progress = TRY(make_progress(ctx, "Killing"));
    reconcile::StopRequest request = stop_request(session, containers);
    request.kill_signal = signal;
    // kill acts on every container at once, as docker compose does.
    request.dependents.clear();
    auto result = reconcile::stop(request, *session.engine, progress->reporter());
    progress->finish();
    return result;
}

Result<void> run_rm(Context& ctx, const ServiceFlags& flags) {
    ComposeSession session = TRY(open_session(ctx, flags.services, NeedProject::NameIsEnough));
    auto containers = TRY(project_containers(session, flags.services));
    auto progress = TRY(make_progress(ctx, "Removing"));
    if (flags.stop_first) {
        reconcile::StopRequest request = stop_request(session, containers);
        request.timeout = flags.timeout;
        TRY(reconcile::stop(request, *session.engine, progress->reporter()));
        containers = TRY(project_containers(session, flags.services));
    }
    std::vector<reconcile::ObservedContainer> stopped;
    for (const auto& container : containers)
        if (!container.running()) stopped.push_back(container);
    if (stopped.empty()) {
        progress->finish();
        std::fprintf(stderr, "No stopped containers\n");
        return ok();
    }
    if (!flags.force) {
        std::string names;
        for (const auto& container : stopped) names += (names.empty() ? "" : ", ") + container.name;
        std::fprintf(stderr, "Going to remove %s\n", names.c_str());
        if (!::isatty(0)) return Error("refusing to remove containers without confirmation: use -f");
        std::fprintf(stderr, "Are you sure? [yN] ");
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y") return ok();
    }
    reconcile::StopRequest request = stop_request(session, stopped);
    request.remove = true;
    request.remove_anonymous_volumes = flags.volumes;
    request.dependents.clear();
    auto result = reconcile::stop(request, *session.engine, progress->reporter());
    progress->finish();
    return result;
}

}  // namespace

void add_compose_start_commands(CLI::App& app, Context& ctx) {
    auto start = std::make_shared<ServiceFlags>();
    CLI::App* cmd = app.add_subcommand("start", "Start services");
    cmd->add_option("services", start->services, "Services (default: all)")->type_name("SERVICE");
    cmd->callback([start, &ctx] { ctx.exit_status = report(run_start(ctx, *start)); });

    auto stop = std::make_shared<ServiceFlags>();
    cmd = app.add_subcommand("stop", "Stop services");
    cmd->add_option("services", stop->services, "Services (default: all)")->type_name("SERVICE");
    cmd->add_option("-t,--timeout", stop->timeout, "Specify a shutdown timeout in seconds");
    cmd->callback([stop, &ctx] { ctx.exit_status = report(run_stop(ctx, *stop, false)); });

    auto restart = std::make_shared<ServiceFlags>();
    cmd = app.add_subcommand("restart", "Restart service containers");
    cmd->add_option("services", restart->services, "Services (default: all)")->type_name("SERVICE");
    cmd->add_option("-t,--timeout", restart->timeout, "Specify a shutdown timeout in seconds");
    cmd->callback([restart, &ctx] { ctx.exit_status = report(run_stop(ctx, *restart, true)); });

    auto kill = std::make_shared<ServiceFlags>();
    cmd = app.add_subcommand("kill", "Force stop service containers");
    cmd->add_option("services", kill->services, "Services (default: all)")->type_name("SERVICE");
    cmd->add_option("-s,--signal", kill->signal, "SIGNAL to send to the container (default SIGKILL)");
    cmd->add_flag("--remove-orphans", kill->remove_orphans, "Remove containers for services not defined in the file");
    cmd->callback([kill, &ctx] { ctx.exit_status = report(run_kill(ctx, *kill)); });

    auto rm = std::make_shared<ServiceFlags>();
    cmd = app.add_subcommand("rm", "Removes stopped service containers");
    cmd->add_option("services", rm->services, "Services (default: all)")->type_name("SERVICE");
    cmd->add_flag("-f,--force", rm->force, "Don't ask to confirm removal");
    cmd->add_flag("-s,--stop", rm->stop_first, "Stop the containers, if required, before removing");
    cmd->add_flag("-v,--volumes", rm->volumes, "Remove any anonymous volumes attached to containers");
    cmd->callback([rm, &ctx] { ctx.exit_status = report(run_rm(ctx, *rm)); });
}

}  // namespace hako::cli
