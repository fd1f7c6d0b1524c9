// `hako cp`: copies files between a service's container and the host, either
// way (SERVICE:PATH on one side, `-` for a tar on stdin/stdout), through the
// engine's confined copy (engine/container/copy.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "engine/container/copy.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"

namespace hako::cli {

namespace {

struct CpFlags {
    bool all = false;
    std::optional<int> index;
    std::string source, destination;
    container::CopyOptions options;
};

// docker's rule: an absolute path, one starting with ".", or one without a
// colon is local; otherwise SERVICE:PATH.
std::pair<std::string, std::string> split_arg(const std::string& arg) {
    if (arg.empty() || arg[0] == '/' || arg[0] == '.') return {"", arg};
    size_t colon = arg.find(':');
    if (colon == std::string::npos) return {"", arg};
    return {arg.substr(0, colon), arg.substr(colon + 1)};
}

Result<void> run_cp(const Context& ctx, const CpFlags& flags) {
    auto [from_service, from_path] = split_arg(flags.source);
    auto [to_service, to_path] = split_arg(flags.destination);
    if (!from_service.empty() && !to_service.empty())
        return Error::usage("copying between services is not supported");
    if (from_service.empty() && to_service.empty())
        return Error::usage("one of SRC and DEST must be SERVICE:PATH");
    if (flags.all && !from_service.empty()) return Error::usage("--all applies only to copying into a service");
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = {from_service.empty() ? to_service : from_service};
    selection.index = flags.index;
    auto containers = TRY(select_containers(store, target, selection));
    if (containers.empty()) return Error("no container found for service \"" + selection.services.front() + "\"");
    if (!from_service.empty())
        return container::copy_from_container(store, containers.front().record, from_path, to_path, STDOUT_FILENO,
                                              flags.options);
    if (flags.source == "-" && flags.all && containers.size() > 1)
        return Error::usage("a tar from stdin can be copied into one container only: drop --all or use --index");
    for (const auto& c : containers) {
        TRY(container::copy_to_container(store, c.record, from_path, STDIN_FILENO, to_path, flags.options));
        if (!flags.all) break;
    }
    return ok();
}

}  // namespace

void add_compose_cp_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<CpFlags>();
    CLI::App* cmd = app.add_subcommand("cp", "Copy files/folders between a service container and the local filesystem");
    cmd->add_flag("--all", flags->all, "Copy to all the containers of the service");
    cmd->add_flag("-a,--archive", flags->options.archive, "Archive mode (copy all uid/gid information)");
    cmd->add_flag("-L,--follow-link", flags->options.follow_link, "Always follow symbol link in SRC_PATH");
    cmd->add_option("--index", flags->index, "Index of the container if service has multiple replicas");
    cmd->add_option("SRC", flags->source, "SERVICE:SRC_PATH, a local path, or - (a tar on stdin)")->required();
    cmd->add_option("DEST", flags->destination, "SERVICE:DEST_PATH, a local path, or - (a tar on stdout)")->required();
    cmd->callback([&ctx, flags] {
        auto result = run_cp(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
