// `hako ps`: the project's containers as docker compose ps lists them — a
// table, one JSON object per line, ids only or service names — filtered by
// state and service.
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>

#include "engine/container/pause.h"
#include "engine/store/state_root.h"
#include "src/cli/compose_ps_format.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

struct PsFlags {
    bool all = false, quiet = false, services_only = false, no_trunc = false, orphans = true;
    std::string format = "table";
    std::vector<std::string> status, filters, services;
};

const std::vector<std::string> kStates = {"paused", "restarting", "removing", "running", "dead", "created", "exited"};

Result<void> run_ps(const Context& ctx, PsFlags flags) {
    if (flags.format != "table" && flags.format != "json")
        return Error::usage("unsupported --format " + flags.format + ": table or json");
    std::vector<std::string> services_filter;
    for (const auto& filter : flags.filters) {
        auto equals = filter.find('=');
        std::string key = filter.substr(0, equals), value = equals == std::string::npos ? "" : filter.substr(equals + 1);
        if (key == "status") flags.status.push_back(value);
        else if (key == "service") services_filter.push_back(value);
        else return Error::usage("invalid --filter " + filter + ": status=STATE or service=NAME");
    }
    for (const auto& status : flags.status)
        if (std::find(kStates.begin(), kStates.end(), status) == kStates.end())
            return Error::usage("invalid --status " + status +
                                ": paused, restarting, removing, running, dead, created or exited");
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = flags.services;
    selection.include_stopped = flags.all || !flags.status.empty();
    auto containers = TRY(select_containers(store, target, selection));

    std::string root = ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root;
    int64_t now = ::time(nullptr);
    std::vector<PsRow> rows;
    for (const auto& c : containers) {
        if (!services_filter.empty() &&
            std::find(services_filter.begin(), services_filter.end(), c.service) == services_filter.end())
            continue;
        if (!flags.orphans && !target.knows_service(c.service)) continue;
        PsRow row;
        row.container = &c;
        row.project = target.name;
        row.paused = c.state.status == "running" && container::is_paused(c.record);
        if (!flags.status.empty() &&
            std::find(flags.status.begin(), flags.status.end(), state_name(c, row.paused)) == flags.status.end())
            continue;
        if (!flags.quiet && !flags.services_only) row.publishers = publishers_of(root, c);
        rows.push_back(std::move(row));
    }

    std::string out;
    if (flags.quiet) {
        for (const auto& row : rows) out += row.container->record.id + "\n";
    } else if (flags.services_only) {
        std::vector<std::string> seen;
        for (const auto& row : rows) {
            if (std::find(seen.begin(), seen.end(), row.container->service) != seen.end()) continue;
            seen.push_back(row.container->service);
            out += row.container->service + "\n";
        }
    } else if (flags.format == "json") {
        for (const auto& row : rows) out += ps_json(row, now, flags.no_trunc).dump() + "\n";
    } else {
        std::vector<std::vector<std::string>> table = {
            {"NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"}};
        for (const auto& row : rows) {
            const ServiceContainer& c = *row.container;
            table.push_back({c.record.name, c.record.image, command_text(c.record, flags.no_trunc), c.service,
                             human_duration(now - epoch_seconds(c.record.created)) + " ago",
                             status_text(c, row.paused, now), ports_text(row.publishers)});
        }
        out = format_table(table);
    }
    std::cout << out << std::flush;
    return ok();
}

}  // namespace

void add_compose_ps_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<PsFlags>();
    CLI::App* cmd = app.add_subcommand("ps", "List containers");
    cmd->add_flag("-a,--all", flags->all, "Show all stopped containers (including those created by the run command)");
    cmd->add_flag("-q,--quiet", flags->quiet, "Only display IDs");
    cmd->add_flag("--services", flags->services_only, "Display services");
    cmd->add_option("--status", flags->status,
                    "Filter services by status: paused, restarting, removing, running, dead, created, exited");
    cmd->add_option("--filter", flags->filters, "Filter services by a property (status=STATE, service=NAME)");
    cmd->add_option("--format", flags->format, "Format the output: table (default) or json");
    cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
    cmd->add_flag("!--no-orphans", flags->orphans, "Exclude containers of services no longer in the project");
    cmd->add_option("SERVICE", flags->services, "Services");
    cmd->callback([&ctx, flags] {
        auto result = run_ps(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
