// This file registers hako volume (engine/volume) and the mount flags of container run/create.
#include <CLI/CLI.hpp>

#include "src/cli/context.h"
#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

struct VolumeRunFlags : ModuleRunFlags {
    std::vector<std::string> volumes, tmpfs;
    Result<void> finish(const Context&, container::CreateRequest& request) override {
        request.binds = volumes;
        request.tmpfs = tmpfs;
        return ok();
    }
};

}  // namespace

std::shared_ptr<ModuleRunFlags> add_volume_run_flags(CLI::App* cmd) {
    auto flags = std::make_shared<VolumeRunFlags>();
    cmd->add_option("-v,--volume", flags->volumes, "Bind mount HOST:CONTAINER[:ro]");
    cmd->add_option("--tmpfs", flags->tmpfs, "Mount a tmpfs at PATH[:options]");
    return flags;
}

void add_volume_commands(CLI::App&, Context&) {}

}  // namespace hako::cli
