// Tests for engine/monitor/health.cpp: which check a container runs, the timing
// of probes, and how results move the status, the streak and the log (docker's rules).
#include <catch2/catch.hpp>

#include "engine/monitor/health.h"

using namespace hako;
using namespace hako::monitor;
using nlohmann::json;

namespace {

ProbeResult result(int exit_code, std::string output = "") {
    return ProbeResult{"2026-01-01T00:00:00.000000000Z", "2026-01-01T00:00:01.000000000Z", exit_code, std::move(output)};
}

}  // namespace

TEST_CASE("health config: CMD-SHELL runs through /bin/sh -c, defaults as docker") {
    auto config = health_config(json{{"test", {"CMD-SHELL", "curl -f localhost"}}}, std::nullopt);
    REQUIRE(config.ok());
    REQUIRE(config->has_value());
    const auto& c = **config;
    REQUIRE(c.command == std::vector<std::string>{"/bin/sh", "-c", "curl -f localhost"});
    REQUIRE(c.interval_ns == 30 * kSecondNs);
    REQUIRE(c.timeout_ns == 30 * kSecondNs);
    REQUIRE(c.start_period_ns == 0);
    REQUIRE(c.start_interval_ns == 5 * kSecondNs);
    REQUIRE(c.retries == 3);
}

TEST_CASE("health config: CMD keeps the words; unset fields come from the image") {
    image::Healthcheck from_image;
    from_image.test = {"CMD", "false"};
    from_image.interval_ns = 2 * kSecondNs;
    from_image.retries = 7;
    auto config = health_config(json{{"test", {"CMD", "true", "x"}}, {"timeout", 1000000000}}, from_image);
    REQUIRE(config.ok());
    REQUIRE((*config)->command == std::vector<std::string>{"true", "x"});
    REQUIRE((*config)->interval_ns == 2 * kSecondNs);
    REQUIRE((*config)->timeout_ns == kSecondNs);
    REQUIRE((*config)->retries == 7);
}

TEST_CASE("health config: the image's check when the container has none; NONE and disable turn it off") {
    image::Healthcheck from_image;
    from_image.test = {"CMD-SHELL", "test -f /ready"};
    auto inherited = health_config(json::object(), from_image);
    REQUIRE(inherited.ok());
    REQUIRE(inherited->has_value());
    REQUIRE((*inherited)->command.back() == "test -f /ready");
    REQUIRE_FALSE(health_config(json{{"test", {"NONE"}}}, from_image)->has_value());
    REQUIRE_FALSE(health_config(json{{"disable", true}}, from_image)->has_value());
    REQUIRE_FALSE(health_config(json::object(), std::nullopt)->has_value());
}

TEST_CASE("health config: bad shapes are errors that name the field") {
    auto bad_kind = health_config(json{{"test", {"RUN", "x"}}}, std::nullopt);
    REQUIRE_FALSE(bad_kind.ok());
    REQUIRE(bad_kind.error().message.find("CMD, CMD-SHELL or NONE") != std::string::npos);
    auto negative = check_health_section(json{{"test", {"CMD", "true"}}, {"interval", -5}});
    REQUIRE_FALSE(negative.ok());
    REQUIRE(negative.error().message.find("interval") != std::string::npos);
    REQUIRE_FALSE(check_health_section(json{{"retries", "three"}}).ok());
    REQUIRE_FALSE(check_health_section(json{{"test", {"CMD-SHELL", "a", "b"}}}).ok());
}

TEST_CASE("health: a success makes it healthy and clears the streak") {
    HealthConfig config;
    container::ContainerState state;
    state.health_status = "starting";
    state.health_failing_streak = 2;
    record_probe(state, config, result(0, "ok\n"), 60 * kSecondNs);
    REQUIRE(state.health_status == "healthy");
    REQUIRE(state.health_failing_streak == 0);
    REQUIRE(state.health_log.size() == 1);
    REQUIRE(state.health_log[0]["ExitCode"] == 0);
    REQUIRE(state.health_log[0]["Output"] == "ok\n");
    REQUIRE(state.health_log[0].contains("Start"));
    REQUIRE(state.health_log[0].contains("End"));
}

TEST_CASE("health: unhealthy only after `retries` failures in a row") {
    HealthConfig config;
    config.retries = 3;
    container::ContainerState state;
    state.health_status = "healthy";
    record_probe(state, config, result(1), 100 * kSecondNs);
    record_probe(state, config, result(1), 100 * kSecondNs);
    REQUIRE(state.health_status == "healthy");
    REQUIRE(state.health_failing_streak == 2);
    record_probe(state, config, result(1), 100 * kSecondNs);
    REQUIRE(state.health_status == "unhealthy");
    REQUIRE(state.health_failing_streak == 3);
}

TEST_CASE("health: failures inside the start period do not count until the first success") {
    HealthConfig config;
    config.retries = 1;
    config.start_period_ns = 10 * kSecondNs;
    container::ContainerState state;
    state.health_status = "starting";
    record_probe(state, config, result(1), 2 * kSecondNs);
    REQUIRE(state.health_status == "starting");
    REQUIRE(state.health_failing_streak == 0);
    record_probe(state, config, result(1), 11 * kSecondNs);
    REQUIRE(state.health_status == "unhealthy");
    // Once healthy, a failure in the start period counts.
    container::ContainerState healthy;
    healthy.health_status = "healthy";
    record_probe(healthy, config, result(1), 2 * kSecondNs);
    REQUIRE(healthy.health_status == "unhealthy");
}

TEST_CASE("health: the log keeps the last five results and 4096 bytes of output") {
    HealthConfig config;
    container::ContainerState state;
    state.health_status = "starting";
    for (int i = 0; i < 7; ++i) record_probe(state, config, result(i == 6 ? 0 : 1, std::string(5000, 'x')), 0);
    REQUIRE(state.health_log.size() == 5);
    REQUIRE(state.health_log[4]["ExitCode"] == 0);
    REQUIRE(state.health_log[0]["Output"].get<std::string>().size() == 4096);
}

TEST_CASE("health: probes run every start_interval while starting in the start period, then every interval") {
    HealthConfig config;
    config.interval_ns = 30 * kSecondNs;
    config.start_interval_ns = kSecondNs;
    config.start_period_ns = 10 * kSecondNs;
    container::ContainerState state;
    state.health_status = "starting";
    REQUIRE(next_probe_delay_ns(state, config, 0) == kSecondNs);
    REQUIRE(next_probe_delay_ns(state, config, 11 * kSecondNs) == 30 * kSecondNs);
    state.health_status = "healthy";
    REQUIRE(next_probe_delay_ns(state, config, 0) == 30 * kSecondNs);
}

TEST_CASE("health inspect: docker's State.Health shape") {
    container::ContainerState state;
    state.health_status = "unhealthy";
    state.health_failing_streak = 4;
    auto j = health_inspect_json(state);
    REQUIRE(j["Status"] == "unhealthy");
    REQUIRE(j["FailingStreak"] == 4);
    REQUIRE(j["Log"].is_array());
}
