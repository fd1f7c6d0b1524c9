// This file declares Starter: a small single-threaded helper process, forked from
// the CLI before the executor starts its threads, that forks container monitors
// on request and hands each monitor's status pipe back over a unix socket. A
// monitor forked from the many-threaded CLI copied its whole address space and
// made every thread pay for the copy-on-write faults (cross-CPU TLB flushes), and
// each fork had to exclude every other engine call (the lock fds it inherits).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::reconcile {

class Starter {
public:
    // Forks the helper. Call it while no lock fd is open that the helper must not
    // hold: it closes every fd but its socket at once, yet holds them for a moment.
    static Result<std::unique_ptr<Starter>> launch(const std::filesystem::path& root);
    ~Starter();  // closes the socket (the helper exits on end of file) and reaps it

    Starter(const Starter&) = delete;
    Starter& operator=(const Starter&) = delete;

    // Has the helper spawn the monitor of container `id` (monitor::spawn); returns
    // the read end of that monitor's status pipe. Safe from many threads: requests
    // take turns, each only as long as the helper's two forks.
    Result<sys::UniqueFd> spawn_monitor(const std::string& id);

private:
    Starter(sys::UniqueFd socket, pid_t pid) : socket_(std::move(socket)), pid_(pid) {}

    sys::UniqueFd socket_;
    pid_t pid_;
    std::mutex mutex_;
};

}  // namespace hako::reconcile
