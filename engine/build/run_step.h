// This file implements running one RUN step: the command in a container (hako's
// built-in runtime) over the step's rootfs, its output streamed to the progress
// stream, its exit status returned.
#pragma once

#include <cstdint>
#include <filesystem>
#include <atomic>
#include <functional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/error.h"

namespace hako::build {

struct RunSpec {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::string user;
    std::string network = "host";  // none | host (a user network: see configure and attach)
    int64_t shm_size = 0;
    std::vector<runtime::Mount> mounts;  // --mount=type=cache|bind|tmpfs|secret|ssh
    // When set: edits the container's config before its spec is built, and acts on
    // its init after the runtime created it and before it runs (a user network).
    std::function<Result<void>(runtime::ContainerConfig&)> configure;
    std::function<Result<void>(pid_t)> attach;
    // When set and true, the step is killed (another stage of the build failed).
    const std::atomic<bool>* cancel = nullptr;
};

// Runs `spec` in a container whose root is `rootfs` (bundle and runtime state under
// `work_dir` and `state_root`); each output line goes to `output`. The exit status
// (128 + signal when killed). With `clone_guard`, which the caller holds shared:
// it is let go while this thread blocks (poll, waitpid) and held exclusive while
// the container's init is cloned and attached, so the child copies no lock (malloc,
// stdio, …) another thread of the caller held.
Result<int> run_in_container(const RunSpec& spec, const std::filesystem::path& rootfs,
                             const std::filesystem::path& work_dir, const std::filesystem::path& state_root,
                             const std::function<void(std::string_view line)>& output,
                             std::shared_mutex* clone_guard = nullptr);

}  // namespace hako::build
