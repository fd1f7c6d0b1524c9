// This file registers hako network (engine/net) and the network flags of container run/create.
#include <CLI/CLI.hpp>

#include "src/cli/context.h"
#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

struct NetworkRunFlags : ModuleRunFlags {
    std::string network = "none";
    Result<void> finish(const Context&, container::CreateRequest& request) override {
        request.network = network;
        return ok();
    }
};

}  // namespace

std::shared_ptr<ModuleRunFlags> add_network_run_flags(CLI::App* cmd) {
    auto flags = std::make_shared<NetworkRunFlags>();
    cmd->add_option("--network", flags->network, "none or host");
    return flags;
}

void add_network_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
