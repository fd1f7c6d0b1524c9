// This file declares the per-container monitor: a daemon (setsid, double fork, so
// the container outlives the CLI) that mounts the container's rootfs, runs it
// with the built-in runtime (or an external OCI runtime) as its own child, then
// execve()s the small static hako-monitor (hako_monitor.c) for the steady state:
// the json-file log, attachers on attach.sock, stop requests (SIGUSR1 carrying
// the grace seconds, or SIGTERM), healthcheck probes (`hako __monitor-probe`,
// run_probe). When the container's init exits, hako-monitor execve()s
// `hako __monitor-exit` (after_exit): exit code and OOM, the restart policy with
// its backoff (then hako-monitor again), or the cleanup. One pid throughout.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::container {
struct ContainerRecord;
}

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
    // The attached caller waits for the first run's exit (wait_attached) and may run
    // its exit path itself (exit_in_caller), sparing hako-exit's start on that path.
    bool exit_by_caller = false;
    // A single start by a CLI that ends soon (start_container), never a starter of
    // `up`: the caller, the monitor's set-up and the init until its exec stay on the
    // CPU the caller runs on (sys/affinity.h; two starters on one CPU would queue),
    // and a single-threaded caller clones the monitor itself, without the session
    // child between them (the monitor calls setsid; it stays the caller's child
    // until the caller ends, a zombie for that long if it ends first).
    bool single_start = false;
    // The record the caller just wrote or read (start_container): the set-up, which
    // runs in the caller's memory (or a fork's copy of it) until it execs
    // hako-monitor, takes it instead of reading and parsing container.json again.
    const container::ContainerRecord* record = nullptr;
};

// What the monitor tells the CLI that spawned it, one line each on the status
// socket (AF_UNIX SOCK_SEQPACKET: one message per line, "\n" at its end, at
// most kStatusLineMax bytes):
//   "started PID"           the container runs
//   "error CODE MESSAGE"    it could not be started (CODE: the exit status to use)
//   "exit CODE"             the first run ended with CODE (its cleanup is done)
//   "ended STATUS STOPPED"  with exit_by_caller: the init ended (waitpid STATUS; STOPPED
//                           1 when a stop was asked for); the caller now runs the exit
//                           path (exit_in_caller) and answers on the same socket
//                           "done [RETIRED]" (hako-monitor then removes the retired
//                           folder and ends) or "fallback" (or goes away: hako-monitor
//                           runs the exit path as usual and reports "exit CODE").
struct Spawned {
    sys::UniqueFd status;  // the CLI's end of the status socket
};
Result<Spawned> spawn(const SpawnOptions& options);

inline constexpr size_t kStatusLineMax = 16384;

// Reads one status line, without its "\n", in one read ("" at end of file).
std::string read_status_line(int fd);

// Asks the monitor of a running container to stop it: the stop signal, then
// SIGKILL after `grace_seconds`. Returns once the request is delivered.
Result<void> request_stop(pid_t monitor_pid, int grace_seconds);

// What hako-monitor hands to `hako __monitor-exit` when the container's init ended.
struct ExitReport {
    std::filesystem::path root;
    std::string id;
    int wait_status = 0;          // waitpid's status of the init
    bool stop_requested = false;  // a stop came during the run: no restart
    int status_fd = -1;           // the spawning CLI's status socket, -1 once "exit N" went
    int listen_fd = -1;           // attach.sock's listening socket, kept across restarts
    std::vector<int> held_sockets;  // the published ports' reservations (net::hold_ports)
};
// Records the exit (code, OOM, runtime and network teardown), then restarts the
// container as its policy says (after the backoff, unless a stop comes) and
// execs hako-monitor again, or cleans up and reports "exit N". Never returns.
[[noreturn]] void after_exit(const ExitReport& report);

// after_exit's work for a run without a restart policy, in the attached caller that
// got "ended": the exit code and OOM, runtime, network and volume teardown, the
// state "exited" or, for --rm, the folder out of the store (`retired`, left for
// hako-monitor to remove once the caller answered "done").
struct CallerExit {
    int exit_code = 0;
    std::filesystem::path retired;
};
Result<CallerExit> exit_in_caller(const ExitReport& report);

}  // namespace hako::monitor
