// `hako ls`: the projects found in the state root by their containers'
// hako.project labels, with a status summary ("exited(1), running(2)") and
// their compose files, as docker compose ls lists them.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/container/lifecycle.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

struct LsFlags {
    bool all = false, quiet = false;
    std::string format = "table";
    std::vector<std::string> filters;
};

struct ProjectSummary {
    std::map<std::string, int> states;  // sorted: the summary reads alike every time
    std::string config_files;
    bool running = false;
};

Result<void> run_ls(const Context& ctx, const LsFlags& flags) {
    if (flags.format != "table" && flags.format != "json")
        return Error::usage("unsupported --format " + flags.format + ": table or json");
    std::vector<std::string> names;
    for (const auto& filter : flags.filters) {
        if (filter.rfind("name=", 0) != 0) return Error::usage("invalid --filter " + filter + ": name=NAME");
        names.push_back(filter.substr(5));
    }
    container::ContainerStore store = TRY(open_container_store(ctx));
    std::map<std::string, ProjectSummary> projects;
    for (const auto& record : TRY(store.list())) {
        auto label = record.labels.find("hako.project");
        if (label == record.labels.end() || label->second.empty()) continue;
        ProjectSummary& summary = projects[label->second];
        container::ContainerState state = store.observed_state(record.id);
        summary.states[state.status]++;
        summary.running = summary.running || container::is_running(state);
        auto files = record.labels.find("hako.config-files");
        if (summary.config_files.empty() && files != record.labels.end()) summary.config_files = files->second;
    }
    std::vector<std::vector<std::string>> table = {{"NAME", "STATUS", "CONFIG FILES"}};
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    std::string quiet;
    for (const auto& [name, summary] : projects) {
        if (!flags.all && !summary.running) continue;
        if (!names.empty()) {
            bool match = false;
            for (const auto& wanted : names) match = match || name.find(wanted) != std::string::npos;
            if (!match) continue;
        }
        std::string status;
        for (const auto& [state, count] : summary.states)
            status += (status.empty() ? "" : ", ") + state + "(" + std::to_string(count) + ")";
        table.push_back({name, status, summary.config_files});
        array.push_back({{"Name", name}, {"Status", status}, {"ConfigFiles", summary.config_files}});
        quiet += name + "\n";
    }
    if (flags.quiet) std::cout << quiet;
    else if (flags.format == "json") std::cout << array.dump() << "\n";
    else std::cout << format_table(table);
    std::cout.flush();
    return ok();
}

}  // namespace

void add_compose_ls_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<LsFlags>();
    CLI::App* cmd = app.add_subcommand("ls", "List running compose projects");
    cmd->add_flag("-a,--all", flags->all, "Show all stopped Compose projects");
    cmd->add_flag("-q,--quiet", flags->quiet, "Only display project names");
    cmd->add_option("--format", flags->format, "Format the output: table (default) or json");
    cmd->add_option("--filter", flags->filters, "Filter output based on conditions provided (name=NAME)");
    cmd->callback([&ctx, flags] {
        auto result = run_ls(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
