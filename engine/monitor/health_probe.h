// This file declares one healthcheck probe of a running container, as
// `hako __monitor-probe` runs it for the container's monitor (hako-monitor
// schedules the probes, one at a time): the check runs inside the container
// with its timeout, and the result goes into the container's State.Health.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/sys/error.h"

namespace hako::monitor {

enum class ProbeVerdict { Healthy = 0, Unhealthy = 1, Starting = 2 };

// Runs the container's check once, `since_start_ns` after its run started
// (the start period counts from there), records the result in its state and
// returns the health status that follows.
Result<ProbeVerdict> run_probe(const std::filesystem::path& root, const std::string& id, int64_t since_start_ns);

}  // namespace hako::monitor
