// This file declares the flags of `container run/create` that belong to one engine
// module each (network, volume, device): the module's CLI file adds them, and
// finish() writes what was parsed into that module's part of the create request.
#pragma once

#include <memory>

#include "engine/container/lifecycle.h"
#include "engine/sys/error.h"
#include "src/cli/context.h"

namespace hako::cli {

struct ModuleRunFlags {
    virtual ~ModuleRunFlags() = default;
    virtual Result<void> finish(const Context& ctx, container::CreateRequest& request) = 0;
};

std::shared_ptr<ModuleRunFlags> add_network_run_flags(CLI::App* cmd);  // network_cmd.cpp: --network, -p, …
std::shared_ptr<ModuleRunFlags> add_volume_run_flags(CLI::App* cmd);   // volume_cmd.cpp: -v, --tmpfs, --mount, …
std::shared_ptr<ModuleRunFlags> add_device_run_flags(CLI::App* cmd);   // device_flags.cpp: --gpus, --device, …
// process_flags.cpp: -i, -t, --init, --health-*, --runtime, --log-opt, --sysctl, --ulimit, --shm-size, …
std::shared_ptr<ModuleRunFlags> add_process_run_flags(CLI::App* cmd);

}  // namespace hako::cli
