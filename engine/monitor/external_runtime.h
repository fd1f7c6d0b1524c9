// This file declares how the monitor runs a container's bundle with an external
// OCI runtime (runc, crun or a path) instead of hako's built-in one: `create`
// with the monitor's pipes as the container's stdio, `start`, `delete`. The
// monitor is a child subreaper, so the container's init, orphaned when
// `RUNTIME create` exits, becomes its child and it collects the exit status.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "engine/runtime/linux_container.h"
#include "engine/sys/error.h"

namespace hako::monitor {

struct ExternalRuntime {
    std::string program;          // "runc", "crun" or a path
    std::filesystem::path state;  // its --root
};

// `PROGRAM --root STATE create --bundle BUNDLE --pid-file … ID`; the init's pid.
Result<pid_t> external_create(const ExternalRuntime& runtime, const std::string& id,
                              const std::filesystem::path& bundle, const runtime::Stdio& stdio);
Result<void> external_start(const ExternalRuntime& runtime, const std::string& id);
// `delete --force`; never fails (what is already gone is fine).
void external_delete(const ExternalRuntime& runtime, const std::string& id);

}  // namespace hako::monitor
