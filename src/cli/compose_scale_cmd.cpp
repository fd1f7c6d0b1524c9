// `hako scale SERVICE=NUM…`: the planner with --scale for the named services
// and no dependencies, no recreate: adds the lowest free numbers, removes the highest.
#include <CLI/CLI.hpp>

#include "src/cli/compose_lifecycle_cmd.h"
#include "src/cli/output.h"
#include "src/reconcile/plan.h"
#include "src/reconcile/service_spec.h"

namespace hako::cli {

namespace {

struct ScaleFlags {
    std::vector<std::string> entries;
    bool no_deps = false;
};

Result<void> run_scale(Context& ctx, const ScaleFlags& flags) {
    reconcile::PlanOptions options;
    for (const auto& entry : flags.entries) {
        size_t equals = entry.find('=');
        if (equals == std::string::npos || equals == 0)
            return Error::usage("scale: expected SERVICE=NUM, got \"" + entry + "\"");
        std::string count = entry.substr(equals + 1);
        if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos)
            return Error::usage("scale: \"" + count + "\" is not a number of containers");
        options.scale[entry.substr(0, equals)] = std::stoi(count);
        options.services.push_back(entry.substr(0, equals));
    }
    if (options.services.empty()) return Error::usage("scale: requires at least one SERVICE=NUM");
    options.no_deps = flags.no_deps;
    options.no_recreate = true;
    ComposeSession session = TRY(open_session(ctx, options.services));
    reconcile::PlanInput input;
    input.observed = TRY(session.engine->observe(session.name));
    for (const auto& service : session.project->service_names()) {
        std::string reference = reconcile::service_image(*session.project, service);
        input.image_ids[reference] = TRY(session.engine->image_id(reference));
    }
    reconcile::Plan plan = TRY(reconcile::plan(*session.project, input, options));
    auto progress = TRY(make_progress(ctx, "Running"));
    auto result = reconcile::execute(plan, *session.engine, {}, progress->reporter());
    progress->finish();
    return result;
}

}  // namespace

void add_compose_scale_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<ScaleFlags>();
    CLI::App* cmd = app.add_subcommand("scale", "Scale services");
    cmd->add_option("services", flags->entries, "SERVICE=NUM")->type_name("SERVICE=NUM")->required();
    cmd->add_flag("--no-deps", flags->no_deps, "Don't start linked services");
    cmd->callback([flags, &ctx] { ctx.exit_status = report(run_scale(ctx, *flags)); });
}

}  // namespace hako::cli
