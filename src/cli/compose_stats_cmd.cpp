// `hako stats [SERVICE…]`: CPU, memory, network, block I/O and pids of the
// project's running containers, as docker compose stats shows them; live
// (refreshed every second) unless --no-stream.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/container/stats.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

struct StatsFlags {
    bool all = false, no_stream = false, no_trunc = false;
    std::string format = "table";
    std::vector<std::string> services;
};

std::string percent(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", value);
    return text;
}

Result<void> run_stats(const Context& ctx, const StatsFlags& flags) {
    if (flags.format != "table" && flags.format != "json")
        return Error::usage("unsupported --format " + flags.format + ": table or json");
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = flags.services;
    selection.include_stopped = flags.all;
    std::map<std::string, container::ContainerStats> previous;
    auto sample = [&](const std::vector<ServiceContainer>& containers) {
        std::map<std::string, container::ContainerStats> now;
        for (const auto& c : containers) {
            if (!c.running()) continue;
            auto stats = container::read_stats(c.record, c.state.pid);
            if (stats.ok()) now[c.record.id] = *stats;
        }
        return now;
    };
    bool terminal = ::isatty(STDOUT_FILENO) == 1;
    while (true) {
        auto containers = TRY(select_containers(store, target, selection));
        if (previous.empty()) {
            // The CPU share needs two samples, as docker's first reading does.
            previous = sample(containers);
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
        auto current = sample(containers);
        std::vector<std::vector<std::string>> table = {
            {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"}};
        std::string json_lines;
        for (const auto& c : containers) {
            auto it = current.find(c.record.id);
            container::ContainerStats s = it == current.end() ? container::ContainerStats{} : it->second;
            auto before = previous.find(c.record.id);
            double cpu = before == previous.end() ? 0.0 : container::cpu_percent(before->second, s);
            using container::human_size;
            std::string id = flags.no_trunc ? c.record.id : c.record.id.substr(0, 12);
            std::string memory = human_size(double(s.memory_usage), true) + " / " + human_size(double(s.memory_limit), true);
            std::string net = human_size(double(s.net_rx), false) + " / " + human_size(double(s.net_tx), false);
            std::string block = human_size(double(s.block_read), false) + " / " + human_size(double(s.block_write), false);
            if (it == current.end()) {
                memory = net = block = "-- / --";
            }
            table.push_back({id, c.record.name, percent(cpu), memory, percent(container::memory_percent(s)), net,
                             block, std::to_string(s.pids)});
            nlohmann::ordered_json line = {{"BlockIO", block},     {"CPUPerc", percent(cpu)},
                                           {"Container", id},      {"ID", id},
                                           {"MemPerc", percent(container::memory_percent(s))},
                                           {"MemUsage", memory},   {"Name", c.record.name},
                                           {"NetIO", net},         {"PIDs", std::to_string(s.pids)}};
            json_lines += line.dump() + "\n";
        }
        if (!flags.no_stream && terminal) std::cout << "\033[2J\033[H";
        std::cout << (flags.format == "json" ? json_lines : format_table(table)) << std::flush;
        if (flags.no_stream) return ok();
        previous = std::move(current);
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

}  // namespace

void add_compose_stats_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<StatsFlags>();
    CLI::App* cmd = app.add_subcommand("stats", "Display a live stream of container(s) resource usage statistics");
    cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
    cmd->add_flag("--no-stream", flags->no_stream, "Disable streaming stats and only pull the first result");
    cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate output");
    cmd->add_option("--format", flags->format, "Format the output: table (default) or json");
    cmd->add_option("SERVICE", flags->services, "Services");
    cmd->callback([&ctx, flags] {
        auto result = run_stats(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
