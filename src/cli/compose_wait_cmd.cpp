// `hako wait SERVICE…`: blocks until the services' containers stop, prints
// each exit code as it comes, and exits with the code of the last one to stop
// (docker compose wait's status), so a script can wait on a one-shot job.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/container/lifecycle.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

Result<int> run_wait(const Context& ctx, const std::vector<std::string>& services) {
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = services;
    auto containers = TRY(select_containers(store, target, selection));
    std::mutex lock;
    int last_code = 0;
    std::optional<Error> failure;
    std::vector<std::thread> waiters;
    for (const auto& c : containers) {
        waiters.emplace_back([&, &c = c] {
            auto code = container::wait_container(store, c.record);
            std::lock_guard<std::mutex> held(lock);
            if (!code.ok()) {
                failure = std::move(code).error();
                return;
            }
            last_code = *code;
            std::cout << *code << std::endl;
        });
    }
    for (auto& waiter : waiters) waiter.join();
    if (failure) return std::move(*failure);
    return last_code;
}

}  // namespace

void add_compose_wait_command(CLI::App& app, Context& ctx) {
    auto services = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand("wait", "Block until containers of all (or specified) services stop.");
    cmd->add_option("SERVICE", *services, "Services")->required();
    cmd->callback([&ctx, services] {
        auto code = run_wait(ctx, *services);
        if (!code.ok()) return fail_verb(ctx, std::move(code).error());
        ctx.exit_status = *code;
    });
}

}  // namespace hako::cli
