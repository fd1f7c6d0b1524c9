// This file registers the device flags of container run/create (engine/device).
#include <CLI/CLI.hpp>

#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

struct DeviceRunFlags : ModuleRunFlags {
    Result<void> finish(const Context&, container::CreateRequest&) override { return ok(); }
};

}  // namespace

std::shared_ptr<ModuleRunFlags> add_device_run_flags(CLI::App*) { return std::make_shared<DeviceRunFlags>(); }

}  // namespace hako::cli
