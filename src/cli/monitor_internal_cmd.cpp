// This file implements the hidden verbs a container's monitor runs hako for
// (engine/monitor/monitor.h): `__monitor-probe ID SINCE_NS` runs one healthcheck
// probe (exit 0 healthy, 1 unhealthy, 2 still starting), and `__monitor-exit ID
// WAIT_STATUS STOPPED STATUS_FD LISTEN_FD HELD_FDS` takes over from hako-monitor when the
// container's init has ended (restart or clean-up; it never returns).
#include <CLI/CLI.hpp>
#include <memory>
#include <sstream>

#include "engine/monitor/health_probe.h"
#include "engine/monitor/monitor.h"
#include "engine/store/state_root.h"
#include "src/cli/context.h"

namespace hako::cli {

namespace {

std::filesystem::path root_of(const Context& ctx) {
    return ctx.global.root.empty() ? std::filesystem::path(store::kDefaultRoot) : std::filesystem::path(ctx.global.root);
}

}  // namespace

void add_monitor_internal_commands(CLI::App& app, Context& ctx) {
    struct ProbeArgs {
        std::string id;
        int64_t since_start_ns = 0;
    };
    auto probe = std::make_shared<ProbeArgs>();
    CLI::App* probe_cmd = app.add_subcommand("__monitor-probe", "Run one healthcheck probe (for the monitor)");
    probe_cmd->group("");  // hidden
    probe_cmd->add_option("id", probe->id)->required();
    probe_cmd->add_option("since_start_ns", probe->since_start_ns)->required();
    probe_cmd->callback([probe, &ctx] {
        auto verdict = monitor::run_probe(root_of(ctx), probe->id, probe->since_start_ns);
        ctx.exit_status = verdict.ok() ? static_cast<int>(*verdict) : 125;
    });

    auto report = std::make_shared<monitor::ExitReport>();
    CLI::App* exit_cmd = app.add_subcommand("__monitor-exit", "Record a container's exit (for the monitor)");
    exit_cmd->group("");
    exit_cmd->add_option("id", report->id)->required();
    exit_cmd->add_option("wait_status", report->wait_status)->required();
    exit_cmd->add_option("stopped", report->stop_requested)->required();
    exit_cmd->add_option("status_fd", report->status_fd)->required();
    exit_cmd->add_option("listen_fd", report->listen_fd)->required();
    auto held = std::make_shared<std::string>("-");
    exit_cmd->add_option("held_sockets", *held, "FD,FD… or -");
    exit_cmd->callback([report, held, &ctx] {
        report->root = root_of(ctx);
        std::stringstream list(*held == "-" ? "" : *held);
        for (std::string fd; std::getline(list, fd, ',');)
            if (!fd.empty()) report->held_sockets.push_back(std::atoi(fd.c_str()));
        monitor::after_exit(*report);
    });
}

}  // namespace hako::cli
