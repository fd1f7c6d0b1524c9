// This file implements the healthcheck rules (health.h).
#include "engine/monitor/health.h"

namespace hako::monitor {

namespace {

constexpr size_t kMaxLogEntries = 5;
constexpr size_t kMaxOutput = 4096;

Result<int64_t> duration_field(const nlohmann::json& section, const char* key) {
    if (!section.contains(key) || section[key].is_null()) return int64_t{0};
    const auto& value = section[key];
    if (!value.is_number_integer() || value.get<int64_t>() < 0)
        return Error("healthcheck " + std::string(key) + ": a duration in nanoseconds (>= 0) is expected",
                     static_cast<ExitCode>(125));
    return value.get<int64_t>();
}

}  // namespace

Result<void> check_health_section(const nlohmann::json& section) {
    if (section.is_null()) return ok();
    if (!section.is_object()) return Error("healthcheck: an object is expected", static_cast<ExitCode>(125));
    if (section.contains("test")) {
        const auto& test = section["test"];
        if (!test.is_array()) return Error("healthcheck test: a list is expected", static_cast<ExitCode>(125));
        for (const auto& word : test)
            if (!word.is_string()) return Error("healthcheck test: strings are expected", static_cast<ExitCode>(125));
        if (!test.empty()) {
            auto kind = test[0].get<std::string>();
            if (kind != "CMD" && kind != "CMD-SHELL" && kind != "NONE")
                return Error("healthcheck test: the first word must be CMD, CMD-SHELL or NONE, not \"" + kind + "\"",
                             static_cast<ExitCode>(125));
            if (kind == "CMD-SHELL" && test.size() != 2)
                return Error("healthcheck test: CMD-SHELL takes exactly one command string", static_cast<ExitCode>(125));
            if (kind == "CMD" && test.size() < 2)
                return Error("healthcheck test: CMD needs a command", static_cast<ExitCode>(125));
        }
    }
    for (const char* key : {"interval", "timeout", "start_period", "start_interval"}) TRY(duration_field(section, key));
    for (const char* key : {"interval", "timeout", "start_interval"}) {
        int64_t value = TRY(duration_field(section, key));
        if (value != 0 && value < 1000000)
            return Error(std::string("healthcheck ") + key + ": must be at least 1ms", static_cast<ExitCode>(125));
    }
    if (section.contains("retries") && (!section["retries"].is_number_integer() || section["retries"].get<int>() < 0))
        return Error("healthcheck retries: a number >= 0 is expected", static_cast<ExitCode>(125));
    return ok();
}

Result<std::optional<HealthConfig>> health_config(const nlohmann::json& section,
                                                  const std::optional<image::Healthcheck>& image_check) {
    TRY(check_health_section(section));
    bool has_section = section.is_object();
    if (has_section && section.value("disable", false)) return std::optional<HealthConfig>{};
    std::vector<std::string> test;
    if (has_section && section.contains("test")) test = section["test"].get<std::vector<std::string>>();
    if (test.empty() && image_check) test = image_check->test;
    if (test.empty() || test[0] == "NONE") return std::optional<HealthConfig>{};

    HealthConfig config;
    if (test[0] == "CMD-SHELL") {
        if (test.size() != 2) return Error("healthcheck test: CMD-SHELL takes exactly one command string");
        config.command = {"/bin/sh", "-c", test[1]};
    } else if (test[0] == "CMD") {
        config.command.assign(test.begin() + 1, test.end());
    } else {
        return Error("healthcheck test: unknown kind \"" + test[0] + "\"");
    }
    if (config.command.empty()) return Error("healthcheck test: no command");

    auto pick = [&](const char* key, int64_t image_value, int64_t fallback) -> Result<int64_t> {
        int64_t own = has_section ? TRY(duration_field(section, key)) : 0;
        if (own > 0) return own;
        if (image_value > 0) return image_value;
        return fallback;
    };
    image::Healthcheck none;
    const image::Healthcheck& from_image = image_check ? *image_check : none;
    config.interval_ns = TRY(pick("interval", from_image.interval_ns, config.interval_ns));
    config.timeout_ns = TRY(pick("timeout", from_image.timeout_ns, config.timeout_ns));
    config.start_period_ns = TRY(pick("start_period", from_image.start_period_ns, config.start_period_ns));
    config.start_interval_ns = TRY(pick("start_interval", from_image.start_interval_ns, config.start_interval_ns));
    int retries = has_section ? section.value("retries", 0) : 0;
    if (retries <= 0) retries = from_image.retries;
    if (retries > 0) config.retries = retries;
    return std::optional<HealthConfig>{config};
}

int64_t next_probe_delay_ns(const container::ContainerState& state, const HealthConfig& config,
                            int64_t since_start_ns) {
    if (state.health_status == "starting" && since_start_ns < config.start_period_ns) return config.start_interval_ns;
    return config.interval_ns;
}

void record_probe(container::ContainerState& state, const HealthConfig& config, const ProbeResult& result,
                  int64_t probe_since_start_ns) {
    nlohmann::json entry = {{"Start", result.start},
                            {"End", result.end},
                            {"ExitCode", result.exit_code},
                            {"Output", result.output.substr(0, kMaxOutput)}};
    if (!state.health_log.is_array()) state.health_log = nlohmann::json::array();
    state.health_log.push_back(entry);
    while (state.health_log.size() > kMaxLogEntries) state.health_log.erase(state.health_log.begin());

    if (result.exit_code == 0) {
        state.health_failing_streak = 0;
        state.health_status = "healthy";
        return;
    }
    if (state.health_status == "starting" && probe_since_start_ns < config.start_period_ns) return;
    ++state.health_failing_streak;
    if (state.health_failing_streak >= config.retries) state.health_status = "unhealthy";
}

nlohmann::json health_inspect_json(const container::ContainerState& state) {
    return {{"Status", state.health_status},
            {"FailingStreak", state.health_failing_streak},
            {"Log", state.health_log.is_array() ? state.health_log : nlohmann::json::array()}};
}

}  // namespace hako::monitor
