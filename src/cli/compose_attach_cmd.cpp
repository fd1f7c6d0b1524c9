// `hako attach SERVICE`: connects the terminal to a running container of a
// service through its monitor (stdout/stderr, and stdin unless --no-stdin),
// until it ends (its exit status) or the detach keys are typed (status 0).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "engine/container/lifecycle.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"

namespace hako::cli {

namespace {

struct AttachFlags {
    bool no_stdin = false;
    std::string detach_keys = "ctrl-p,ctrl-q", service;
    std::optional<int> index;
};

Result<int> run_attach(const Context& ctx, const AttachFlags& flags) {
    container::ContainerStore store = TRY(open_container_store(ctx));
    ProjectTarget target = TRY(resolve_project(ctx));
    Selection selection;
    selection.services = {flags.service};
    selection.index = flags.index;
    auto containers = TRY(select_containers(store, target, selection));
    const ServiceContainer* chosen = nullptr;
    for (const auto& c : containers)
        if (c.running() && chosen == nullptr) chosen = &c;
    if (chosen == nullptr) return Error("service \"" + flags.service + "\" is not running");
    container::AttachOptions options;
    options.in = flags.no_stdin ? -1 : STDIN_FILENO;
    options.out = STDOUT_FILENO;
    options.err = STDERR_FILENO;
    options.detach_keys = flags.detach_keys;
    auto ended = TRY(container::attach_container(store, chosen->record, options));
    return ended.value_or(0);
}

}  // namespace

void add_compose_attach_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<AttachFlags>();
    CLI::App* cmd = app.add_subcommand(
        "attach", "Attach local standard input, output, and error streams to a service's running container");
    cmd->add_option("--detach-keys", flags->detach_keys, "Override the key sequence for detaching from a container");
    cmd->add_option("--index", flags->index, "index of the container if service has multiple replicas");
    cmd->add_flag("--no-stdin", flags->no_stdin, "Do not attach STDIN");
    cmd->add_option("SERVICE", flags->service, "Service")->required();
    cmd->callback([&ctx, flags] {
        auto code = run_attach(ctx, *flags);
        if (!code.ok()) return fail_verb(ctx, std::move(code).error());
        ctx.exit_status = *code;
    });
}

}  // namespace hako::cli
