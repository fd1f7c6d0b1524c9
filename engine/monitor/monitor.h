// This file declares the per-container monitor: a small daemon (setsid, double
// fork, so the container outlives the CLI) that mounts the container's rootfs,
// runs it with the built-in runtime (or an external OCI runtime) as its own child,
// writes its output to the json-file log (rotated by size), records exit code and
// OOM, applies the restart policy, runs the healthcheck, serves attachers (the
// container's terminal or stdin) on attach.sock, stops it on request (SIGUSR1
// carrying the grace seconds, or SIGTERM), and cleans up.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::monitor {

struct SpawnOptions {
    std::filesystem::path root;
    std::string id;
    int attach_out = -1;  // also copy the first run's stdout here (the attached CLI's fd 1)
    int attach_err = -1;
    // One end of a SOCK_SEQPACKET pair that the monitor serves as an attacher from
    // the first byte on (attach.h): run -it, start -ai.
    int attach_socket = -1;
    unsigned short rows = 0, cols = 0;  // the terminal's first size, with a tty
};

// What the monitor tells the CLI that spawned it, one line each on the status pipe:
//   "started PID"           the container runs
//   "error CODE MESSAGE"    it could not be started (CODE: the exit status to use)
//   "exit CODE"             the first run ended with CODE (its cleanup is done)
struct Spawned {
    sys::UniqueFd status;  // read end of the status pipe
};
Result<Spawned> spawn(const SpawnOptions& options);

// Reads one status line ("" at end of file).
std::string read_status_line(int fd);

// Asks the monitor of a running container to stop it: the stop signal, then
// SIGKILL after `grace_seconds`. Returns once the request is delivered.
Result<void> request_stop(pid_t monitor_pid, int grace_seconds);

// The monitor's body, in the double-forked process (never returns).
[[noreturn]] void run(const SpawnOptions& options, int status_fd);

}  // namespace hako::monitor
