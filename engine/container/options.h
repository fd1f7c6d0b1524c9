// This file declares the pure rules behind `hako container` flags: docker-style
// ids and random names, memory sizes, restart policies, signal names, and how an
// image's Entrypoint/Cmd combine with --entrypoint and the run's arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::container {

// docker run's status for the engine's own errors (bad flag value, unknown image, name taken).
inline constexpr ExitCode kRunFailure = static_cast<ExitCode>(125);

// 64 random lowercase hex digits (from getrandom).
std::string generate_id();
// A docker-style "adjective_noun" name; `seed` picks it (tests pass a fixed one).
std::string random_name(uint64_t seed);
std::string random_name();
// docker's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool valid_name(std::string_view name);

// "512m", "1g", "1024", "100k", "1.5g" → bytes (docker's RAMInBytes: b k m g, case-insensitive).
Result<int64_t> parse_memory_size(std::string_view text);

// A Go duration as docker's flags take it: "30s", "1m30s", "1.5h", "500ms" → nanoseconds.
std::optional<int64_t> parse_go_duration_ns(std::string_view text);

enum class RestartMode { No, Always, OnFailure, UnlessStopped };
struct RestartPolicy {
    RestartMode mode = RestartMode::No;
    int max_retries = 0;  // on-failure:N; 0 means no limit
};
// "no", "always", "on-failure", "on-failure:3", "unless-stopped".
Result<RestartPolicy> parse_restart_policy(std::string_view text);
std::string restart_mode_name(RestartMode mode);
// Whether a container that exited with `exit_code` runs again, given how many
// times it was restarted already and whether a user asked it to stop.
bool should_restart(const RestartPolicy& policy, int exit_code, int restart_count, bool stop_requested);
// The wait before restart number `restart_count` (0-based): 100 ms doubling, at most 60 s.
int restart_delay_ms(int restart_count);

// "TERM", "SIGTERM", "15", "sigkill" → signal number.
Result<int> parse_signal(std::string_view text);

// Docker's rule: --entrypoint replaces the image's Entrypoint and drops its Cmd;
// run arguments replace Cmd. The process args are Entrypoint + Cmd.
struct CommandChoice {
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::vector<std::string> args() const;
};
CommandChoice choose_command(const std::optional<std::vector<std::string>>& image_entrypoint,
                             const std::optional<std::vector<std::string>>& image_cmd,
                             const std::optional<std::string>& entrypoint_flag,
                             const std::vector<std::string>& run_args);

// Env precedence: image env, then the given KEY=VALUE list (a later key wins; a bare
// KEY takes the value from `lookup`, and is dropped when it has none).
std::vector<std::string> merge_env(const std::vector<std::string>& image_env, const std::vector<std::string>& overrides,
                                   const std::vector<std::pair<std::string, std::string>>& process_env);

}  // namespace hako::container
