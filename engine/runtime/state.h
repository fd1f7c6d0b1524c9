// This file declares a container's runtime state record (STATE_ROOT/ID/state.json)
// and how its status is observed: creating, created, running or stopped.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "engine/sys/error.h"

namespace hako::runtime {

enum class Status { Created, Running, Stopped };
const char* status_name(Status status);

struct State {
    std::string id;
    pid_t pid = 0;
    uint64_t pid_start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
    std::filesystem::path bundle;
    std::string cgroup_path;
    std::string created;  // RFC 3339
    std::map<std::string, std::string> annotations;
};

// The start time of a process in clock ticks since boot, 0 when it does not exist.
uint64_t process_start_time(pid_t pid);
// Whether `state`'s init still exists (same pid, same start time, not a zombie).
bool init_alive(const State& state);
// created while the init waits for start (its exec fifo exists), running after, stopped once it is gone.
Status observe_status(const State& state, const std::filesystem::path& container_dir);

Result<void> write_state(const std::filesystem::path& container_dir, const State& state);
Result<State> read_state(const std::filesystem::path& container_dir);
// The OCI `state` document: ociVersion, id, status, pid, bundle, annotations.
std::string oci_state_json(const State& state, Status status);

}  // namespace hako::runtime
