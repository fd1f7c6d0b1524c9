// `hako logs`: the project's containers' output, merged in time order with
// docker compose's `service-1  | ` prefixes; -f follows until every container
// stopped (or Ctrl-C).
#include <time.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/log_stream.h"

namespace hako::cli {

namespace {

struct LogsFlags {
    bool follow = false, timestamps = false, no_color = false, no_prefix = false;
    std::string tail = "all", since, until;
    std::optional<int> index;
    std::vector<std::string> services;
};

int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<LogStreamOptions> stream_options(const Context& ctx, const LogsFlags& flags) {
    LogStreamOptions options;
    options.follow = flags.follow;
    options.timestamps = flags.timestamps;
    options.color = !flags.no_color && use_color(ctx);
    options.prefix = !flags.no_prefix;
    options.tail = TRY(parse_tail(flags.tail));
    int64_t now = now_ns();
    if (!flags.since.empty()) options.since = TRY(parse_log_time(flags.since, now, "--since"));
    if (!flags.until.empty()) options.until = TRY(parse_log_time(flags.until, now, "--until"));
    return options;
}

Result<void> run_logs(const Context& ctx, const LogsFlags& flags) {
    LogStreamOptions options = TRY(stream_options(ctx, flags));
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = flags.services;
    selection.index = flags.index;
    auto containers = TRY(select_containers(store, target, selection));
    LogStream stream(options, std::cout, std::cerr);
    for (const auto& c : containers) stream.add(log_source(store, c, target.name));
    FollowHooks hooks;
    if (flags.follow) {
        // Containers created while following (scale, up of another service) join in.
        hooks.discover = [&]() -> std::vector<LogSource> {
            std::vector<LogSource> sources;
            auto now = select_containers(store, target, selection);
            if (now.ok())
                for (const auto& c : *now) sources.push_back(log_source(store, c, target.name));
            return sources;
        };
    }
    return stream.run(hooks);
}

}  // namespace

void add_compose_logs_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<LogsFlags>();
    CLI::App* cmd = app.add_subcommand("logs", "View output from containers");
    cmd->add_flag("-f,--follow", flags->follow, "Follow log output");
    cmd->add_flag("-t,--timestamps", flags->timestamps, "Show timestamps");
    cmd->add_option("-n,--tail", flags->tail, "Number of lines to show from the end of the logs for each container");
    cmd->add_option("--since", flags->since,
                    "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
    cmd->add_option("--until", flags->until,
                    "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
    cmd->add_flag("--no-color", flags->no_color, "Produce monochrome output");
    cmd->add_flag("--no-log-prefix", flags->no_prefix, "Don't print prefix in logs");
    cmd->add_option("--index", flags->index, "index of the container if service has multiple replicas");
    cmd->add_option("SERVICE", flags->services, "Services");
    cmd->callback([&ctx, flags] {
        auto result = run_logs(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
