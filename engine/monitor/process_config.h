// This file declares how a container record's `process` section (tty, stdin,
// init, runtime, log options, sysctls, shm size, ulimits, extra groups, security
// options, pid and ipc modes) is checked at create and applied to the runtime's
// ContainerConfig before each run.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/monitor/log_writer.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/error.h"

namespace hako::monitor {

// Where the tiny init of --init lives inside every container (docker's path).
inline constexpr const char* kInitPathInContainer = "/sbin/docker-init";

// Checks the section's shape and values; errors carry status 125 and name the field.
Result<void> check_process_section(const nlohmann::json& process);
// Fills `config` from the section (tty, sysctls, shm_size, ulimits, group_add,
// security_opt, pid, ipc, and the init in front of the args with its bind mount).
Result<void> apply_process_section(const nlohmann::json& process, runtime::ContainerConfig& config);
LogLimits log_limits(const nlohmann::json& process);
// "" for hako's built-in runtime, else the external OCI runtime to run the bundle with.
std::string external_runtime(const nlohmann::json& process);
// The static init binary installed next to the hako executable (hako-init).
Result<std::filesystem::path> init_binary();

}  // namespace hako::monitor
