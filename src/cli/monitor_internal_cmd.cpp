// This file registers the hidden verbs a container's monitor runs
// (`__monitor-probe ID SINCE_NS`, `__monitor-exit ID WAIT_STATUS STOPPED STATUS_FD
// LISTEN_FD HELD_FDS`) with the CLI, for spellings other than hako-monitor's own
// (which main() runs before the CLI: run_monitor_verb). The verbs themselves are
// in src/exitpath/monitor_verbs.cpp, shared with the lean hako-exit.
#include "src/cli/monitor_internal_cmd.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <string_view>

#include "engine/store/state_root.h"
#include "src/cli/context.h"

namespace hako::cli {

namespace {

std::filesystem::path root_of(const Context& ctx) {
    return ctx.global.root.empty() ? std::filesystem::path(store::kDefaultRoot) : std::filesystem::path(ctx.global.root);
}

}  // namespace

void add_monitor_internal_commands(CLI::App& app, Context& ctx) {
    auto probe_args = std::make_shared<std::vector<std::string>>();
    CLI::App* probe_cmd = app.add_subcommand("__monitor-probe", "Run one healthcheck probe (for the monitor)");
    probe_cmd->group("");  // hidden
    probe_cmd->add_option("args", *probe_args, "ID SINCE_NS")->required();
    probe_cmd->callback([probe_args, &ctx] {
        ctx.exit_status = exitpath::probe_verb(root_of(ctx), {probe_args->begin(), probe_args->end()});
    });

    auto exit_args = std::make_shared<std::vector<std::string>>();
    CLI::App* exit_cmd = app.add_subcommand("__monitor-exit", "Record a container's exit (for the monitor)");
    exit_cmd->group("");
    exit_cmd->add_option("args", *exit_args, "ID WAIT_STATUS STOPPED STATUS_FD LISTEN_FD [HELD_FDS]")->required();
    exit_cmd->callback([exit_args, &ctx] {
        ctx.exit_status = exitpath::exit_verb(root_of(ctx), {exit_args->begin(), exit_args->end()});
    });
}

}  // namespace hako::cli
