// This file declares the healthcheck rules the monitor follows, as docker applies
// them: which check a container has (its own, else its image's), when the next
// probe runs, and how a probe's result moves the status, the failing streak and
// the last five results of State.Health.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/image/oci.h"
#include "engine/sys/error.h"

namespace hako::monitor {

inline constexpr int64_t kSecondNs = 1000000000;

struct HealthConfig {
    std::vector<std::string> command;  // what runs in the container (CMD-SHELL → /bin/sh -c …)
    int64_t interval_ns = 30 * kSecondNs;
    int64_t timeout_ns = 30 * kSecondNs;
    int64_t start_period_ns = 0;
    int64_t start_interval_ns = 5 * kSecondNs;
    int retries = 3;
};

// The check a container runs: record.health (shape in container_store.h) with its
// unset fields taken from the image's Healthcheck, then docker's defaults.
// nullopt when there is none, or when it is NONE or disabled.
Result<std::optional<HealthConfig>> health_config(const nlohmann::json& section,
                                                  const std::optional<image::Healthcheck>& image_check);

// Checks the shape of record.health at create time (test form, durations ≥ 0 …).
Result<void> check_health_section(const nlohmann::json& section);

struct ProbeResult {
    std::string start, end;  // RFC 3339 with nanoseconds
    int exit_code = 0;       // -1 when the probe timed out or could not run
    std::string output;      // at most 4096 bytes, as docker keeps
};

// The wait before the next probe, `since_start_ns` after the container started:
// start_interval while the container is still starting inside its start period.
int64_t next_probe_delay_ns(const container::ContainerState& state, const HealthConfig& config,
                            int64_t since_start_ns);

// Folds one result into the state: healthy on exit 0; a failure counts toward
// `retries` unless the container never was healthy and is inside its start period.
void record_probe(container::ContainerState& state, const HealthConfig& config, const ProbeResult& result,
                  int64_t probe_since_start_ns);

// docker's State.Health object for inspect: {"Status", "FailingStreak", "Log"}.
nlohmann::json health_inspect_json(const container::ContainerState& state);

}  // namespace hako::monitor
