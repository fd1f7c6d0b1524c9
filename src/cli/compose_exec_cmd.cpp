// `hako exec SERVICE COMMAND…`: runs a command in a running container of a
// service, with docker compose exec's flags; a terminal by default when stdin
// is one (-T turns it off), and the command's exit status as hako's.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "engine/container/lifecycle.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"

namespace hako::cli {

namespace {

struct ExecFlags {
    bool detach = false, no_tty = false, interactive = true, privileged = false;
    std::string user, workdir, service;
    std::vector<std::string> env;
    std::optional<int> index;
};

// The running container of `service` that exec and attach act on: --index, or
// the first running one.
Result<ServiceContainer> running_container(const Context& ctx, const std::string& service, std::optional<int> index,
                                           container::ContainerStore& store) {
    ProjectTarget target = TRY(resolve_project(ctx));
    Selection selection;
    selection.services = {service};
    selection.index = index;
    auto containers = TRY(select_containers(store, target, selection));
    for (auto& c : containers)
        if (c.running()) return std::move(c);
    return Error("service \"" + service + "\" is not running");
}

Result<int> run_exec(const Context& ctx, const ExecFlags& flags, std::vector<std::string> command) {
    if (command.empty()) return Error::usage("\"hako exec\" requires at least 2 arguments: SERVICE COMMAND");
    container::ContainerStore store = TRY(open_container_store(ctx));
    ServiceContainer c = TRY(running_container(ctx, flags.service, flags.index, store));
    container::ExecRequest request;
    request.args = std::move(command);
    for (const auto& e : flags.env) {
        if (e.find('=') != std::string::npos) {
            request.env.push_back(e);
            continue;
        }
        // -e KEY takes the value from hako's own environment, or is dropped.
        auto it = ctx.environment.find(e);
        if (it != ctx.environment.end()) request.env.push_back(e + "=" + it->second);
    }
    request.user = flags.user;
    request.working_dir = flags.workdir;
    request.detach = flags.detach;
    request.interactive = flags.interactive && !flags.detach;
    request.tty = !flags.no_tty && !flags.detach && ::isatty(STDIN_FILENO) == 1;
    return container::exec_container(store, c.record, request, STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO);
}

}  // namespace

void add_compose_exec_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<ExecFlags>();
    CLI::App* cmd = app.add_subcommand("exec", "Execute a command in a running container");
    cmd->add_flag("-d,--detach", flags->detach, "Detached mode: Run command in the background");
    cmd->add_option("-e,--env", flags->env, "Set environment variables")->allow_extra_args(false);
    cmd->add_flag("-T,--no-tty", flags->no_tty,
                  "Disable pseudo-TTY allocation. By default 'hako exec' allocates a TTY when stdin is one");
    cmd->add_flag("-i,--interactive", flags->interactive, "Keep STDIN open even if not attached (the default)");
    cmd->add_flag("--privileged", flags->privileged, "Give extended privileges to the process (accepted, no effect)");
    cmd->add_option("-u,--user", flags->user, "Run the command as this user");
    cmd->add_option("-w,--workdir", flags->workdir, "Path to workdir directory for this command");
    cmd->add_option("--index", flags->index, "Index of the container if service has multiple replicas");
    cmd->add_option("SERVICE", flags->service, "Service")->required();
    // Everything after SERVICE is the command, its flags included.
    cmd->prefix_command();
    cmd->fallthrough(false);
    cmd->callback([&ctx, flags, cmd] {
        auto code = run_exec(ctx, *flags, cmd->remaining());
        if (!code.ok()) return fail_verb(ctx, std::move(code).error());
        ctx.exit_status = *code;
    });
}

}  // namespace hako::cli
