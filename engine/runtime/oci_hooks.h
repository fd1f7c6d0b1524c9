// This file declares the runner of OCI runtime-spec hooks: each hook is forked and
// exec'd with its args and env, reads the container's state JSON on stdin, and is
// killed (with its process group) when it outlives its timeout.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::runtime {

enum class HookPhase { Prestart, CreateRuntime, CreateContainer, StartContainer, Poststart, Poststop };

// "createRuntime", "poststop", … as config.json spells them.
const char* hook_phase_name(HookPhase phase);
const std::vector<Hook>& hooks_of(const Hooks& hooks, HookPhase phase);

// A hook without a timeout gets this many seconds (the spec sets no limit; hako
// never waits forever on a hook).
constexpr int kDefaultHookTimeoutSeconds = 120;

// The state of the container as hooks see it (runtime-spec runtime.md, "State").
struct HookState {
    std::string oci_version = "1.0.2";
    std::string id;
    std::string status;  // creating, created, running, stopped
    pid_t pid = 0;       // the init, as the host sees it
    std::string bundle;
    std::map<std::string, std::string> annotations;
};
std::string state_json(const HookState& state);

// Runs one hook to its end. Errors name the phase, the hook's position and path:
// `createRuntime hook #1 (/usr/bin/x): exit status 3: <its output>`, `…: timed out after 5 s`.
Result<void> run_hook(const Hook& hook, HookPhase phase, size_t index, std::string_view state);
// Runs the hooks of `phase` in order and stops at the first that fails.
Result<void> run_hooks(const Hooks& hooks, HookPhase phase, const HookState& state);
// Runs every hook of `phase` (poststart, poststop: a failure is only a warning, as
// the spec says) and logs the failures.
void run_hooks_warning(const Hooks& hooks, HookPhase phase, const HookState& state);
// The most seconds the hooks of `phase` may take together.
int hooks_time_limit(const Hooks& hooks, HookPhase phase);

}  // namespace hako::runtime
