// This file implements how `hako ps` describes a container, in docker's words:
// its state and status text ("Up 2 minutes (healthy)", "Exited (0) 3 seconds
// ago"), times, the command column, published ports and the JSON object
// docker compose ps prints, so scripts written for it keep working.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli/compose_select.h"

namespace hako::cli {

// docker's units.HumanDuration: "Less than a second", "5 seconds", "About a
// minute", "3 hours", "2 weeks"…
std::string human_duration(int64_t seconds);

// RFC 3339 → seconds since the epoch (0 when unparsable or zero time).
int64_t epoch_seconds(const std::string& rfc3339);

// One published or exposed port: docker compose's Publishers entry.
struct Publisher {
    std::string url;  // host address ("0.0.0.0", "::"), "" when only exposed
    int target_port = 0;
    int published_port = 0;  // 0 when only exposed
    std::string protocol = "tcp";
};

// docker's State: created, running, paused, restarting, exited.
std::string state_name(const ServiceContainer& c, bool paused);
// docker's Status column at `now` (seconds since the epoch).
std::string status_text(const ServiceContainer& c, bool paused, int64_t now);
// The command as docker shows it: quoted, cut to 20 characters with "…" unless `full`.
std::string command_text(const container::ContainerRecord& record, bool full);
// "0.0.0.0:8080->80/tcp, 443/tcp".
std::string ports_text(const std::vector<Publisher>& publishers);
// The ports a container publishes (from the network module while it runs,
// else from its record) and exposes, sorted by target port.
std::vector<Publisher> publishers_of(const std::string& root, const ServiceContainer& c);

struct PsRow {
    const ServiceContainer* container = nullptr;
    std::string project;
    bool paused = false;
    std::vector<Publisher> publishers;
};
// docker compose ps --format json's object for one container.
nlohmann::ordered_json ps_json(const PsRow& row, int64_t now, bool full_command);

}  // namespace hako::cli
