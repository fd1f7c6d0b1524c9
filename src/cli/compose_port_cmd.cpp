// `hako port SERVICE PRIVATE_PORT`: the host address a service's container
// publishes a port on, as docker compose port prints it ("0.0.0.0:8080").
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/store/state_root.h"
#include "src/cli/compose_ps_format.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"

namespace hako::cli {

namespace {

struct PortFlags {
    std::string service, port, protocol = "tcp";
    int index = 1;
};

Result<void> run_port(const Context& ctx, const PortFlags& flags) {
    if (flags.protocol != "tcp" && flags.protocol != "udp")
        return Error::usage("invalid --protocol " + flags.protocol + ": tcp or udp");
    int target = 0;
    try {
        size_t used = 0;
        target = std::stoi(flags.port, &used);
        if (used != flags.port.size() || target < 1 || target > 65535) throw std::out_of_range("port");
    } catch (...) {
        return Error::usage("invalid port " + flags.port + ": a number from 1 to 65535");
    }
    ProjectTarget project = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = {flags.service};
    selection.index = flags.index;
    auto containers = TRY(select_containers(store, project, selection));
    const ServiceContainer& c = containers.front();
    std::string root = ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root;
    for (const auto& p : publishers_of(root, c)) {
        if (p.target_port != target || p.protocol != flags.protocol || p.published_port == 0) continue;
        std::string host = p.url.find(':') != std::string::npos ? "[" + p.url + "]" : p.url;
        std::cout << host << ":" << p.published_port << std::endl;
        return ok();
    }
    return Error("no port " + flags.port + "/" + flags.protocol + " for container " + c.record.name);
}

}  // namespace

void add_compose_port_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<PortFlags>();
    CLI::App* cmd = app.add_subcommand("port", "Print the public port for a port binding");
    cmd->add_option("--index", flags->index, "Index of the container if service has multiple replicas");
    cmd->add_option("--protocol", flags->protocol, "tcp or udp");
    cmd->add_option("SERVICE", flags->service, "Service")->required();
    cmd->add_option("PRIVATE_PORT", flags->port, "Port in the container")->required();
    cmd->callback([&ctx, flags] {
        auto result = run_port(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
