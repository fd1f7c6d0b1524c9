// Tests for engine/monitor/process_config.cpp and attach.cpp's pure parts: the
// process section → runtime config, detach keys.
#include <catch2/catch.hpp>

#include "engine/container/log_line.h"
#include "engine/container/options.h"
#include "engine/monitor/attach.h"
#include "engine/monitor/process_config.h"

using namespace hako;
using namespace hako::monitor;
using nlohmann::json;

TEST_CASE("process section: sysctls, shm, ulimits, groups, security options, pid and ipc reach the config") {
    runtime::ContainerConfig c;
    c.args = {"sh"};
    json p = {{"tty", true},
              {"sysctls", {{"net.core.somaxconn", "1024"}}},
              {"shm_size", 1048576},
              {"ulimits", {{"nofile", {{"soft", 100}, {"hard", 200}}}}},
              {"group_add", {"audio"}},
              {"security_opt", {"no-new-privileges", "seccomp=unconfined"}},
              {"pid", "host"},
              {"ipc", "host"}};
    REQUIRE(apply_process_section(p, c).ok());
    REQUIRE(c.tty);
    REQUIRE(c.sysctls.at("net.core.somaxconn") == "1024");
    REQUIRE(c.shm_size == 1048576);
    REQUIRE(c.rlimits.size() == 1);
    REQUIRE(c.rlimits[0].type == "RLIMIT_NOFILE");
    REQUIRE(c.rlimits[0].soft == 100);
    REQUIRE(c.rlimits[0].hard == 200);
    REQUIRE(c.group_add == std::vector<std::string>{"audio"});
    REQUIRE(c.no_new_privileges);
    REQUIRE(c.seccomp_unconfined);
    REQUIRE(c.host_pid);
    REQUIRE(c.host_ipc);
    auto spec = runtime::build_spec(c, runtime::ResolvedUser{});
    REQUIRE(spec.ok());
    REQUIRE(spec->find_namespace("pid") == nullptr);
    REQUIRE(spec->find_namespace("ipc") == nullptr);
    REQUIRE_FALSE(spec->linux_spec.seccomp.has_value());
    REQUIRE(spec->process.no_new_privileges);
}

TEST_CASE("process section: bad values are refused with status 125, naming the field") {
    for (const json& bad : {json{{"pid", "container:x"}}, json{{"ulimits", {{"nofiles", 3}}}},
                            json{{"ulimits", {{"nofile", {{"soft", 9}, {"hard", 1}}}}}},
                            json{{"security_opt", {"apparmor-unknown"}}}, json{{"log", {{"max_file", 0}}}},
                            json{{"tty", "yes"}}}) {
        auto checked = check_process_section(bad);
        REQUIRE_FALSE(checked.ok());
        REQUIRE(static_cast<int>(checked.error().exit_code) == 125);
        REQUIRE(checked.error().message.starts_with("process."));
    }
    REQUIRE(check_process_section(json::object()).ok());
}

TEST_CASE("process section: log limits and the external runtime") {
    auto limits = log_limits(json{{"log", {{"max_size", 1000}, {"max_file", 3}}}});
    REQUIRE(limits.max_size == 1000);
    REQUIRE(limits.max_file == 3);
    REQUIRE(log_limits(json::object()).max_size == 0);
    REQUIRE(external_runtime(json{{"runtime", "runc"}}) == "runc");
    REQUIRE(external_runtime(json{{"runtime", "hako"}}).empty());
    REQUIRE(external_runtime(json::object()).empty());
}

TEST_CASE("detach keys: ctrl-p,ctrl-q and single characters; unknown keys are errors") {
    REQUIRE(*parse_detach_keys("ctrl-p,ctrl-q") == std::string("\x10\x11"));
    REQUIRE(*parse_detach_keys("ctrl-a,x") == std::string("\x01x"));
    REQUIRE(parse_detach_keys("").value().empty());
    REQUIRE_FALSE(parse_detach_keys("ctrl-p,shift-q").ok());
}

TEST_CASE("log times: RFC 3339, unix timestamps and durations before now") {
    using container::parse_log_time_ns;
    using container::parse_rfc3339_ns;
    REQUIRE(*parse_rfc3339_ns("1970-01-01T00:00:01Z") == 1000000000);
    REQUIRE(*parse_rfc3339_ns("1970-01-01T00:00:01.5Z") == 1500000000);
    REQUIRE(*parse_rfc3339_ns("1970-01-01T01:00:00+01:00") == 0);
    REQUIRE(*parse_rfc3339_ns("2026-11-28T00:11:50.123456789Z") % 1000000000 == 123456789);
    REQUIRE(*parse_rfc3339_ns("1970-01-02") == 86400LL * 1000000000);
    int64_t now = 1000LL * 1000000000;
    REQUIRE(*parse_log_time_ns("10m", now) == now - 600LL * 1000000000);
    REQUIRE(*parse_log_time_ns("1h30m", now) == now - 5400LL * 1000000000);
    REQUIRE(*parse_log_time_ns("1.5s", now) == now - 1500000000);
    REQUIRE(*parse_log_time_ns("42", now) == 42LL * 1000000000);
    REQUIRE(*parse_log_time_ns("42.25", now) == 42250000000LL);
    REQUIRE_FALSE(parse_log_time_ns("yesterday", now).ok());
    REQUIRE_FALSE(parse_log_time_ns("2026-13-01T00:00:00Z", now).ok());
    REQUIRE(*container::parse_go_duration_ns("300ms") == 300000000);
    REQUIRE_FALSE(container::parse_go_duration_ns("5 min").has_value());
}
