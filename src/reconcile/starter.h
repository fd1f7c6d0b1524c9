// This file declares Starter: small single-threaded helper processes, forked from
// the CLI before the executor starts its threads, that spawn container monitors
// on request and hand each monitor's status pipe back over a unix socket. A
// monitor forked from the many-threaded CLI copied its whole address space and
// made every thread pay for the copy-on-write faults (cross-CPU TLB flushes), and
// each fork had to exclude every other engine call (the lock fds it inherits).
// A single-threaded helper spawns without fork (monitor::spawn: the monitor sets
// up in the helper's memory while the helper waits), so one helper sets up one
// container at a time: there is one helper per CPU.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::reconcile {

class Starter {
public:
    // Forks the helpers. Call it while no lock fd is open that a helper must not
    // hold: it closes every fd but its socket at once, yet holds them for a moment.
    static Result<std::unique_ptr<Starter>> launch(const std::filesystem::path& root);
    ~Starter();  // closes the sockets (a helper exits on end of file) and reaps them

    Starter(const Starter&) = delete;
    Starter& operator=(const Starter&) = delete;

    // Has a free helper spawn the monitor of container `id` (monitor::spawn);
    // returns the read end of that monitor's status pipe once the monitor has
    // set up. Safe from many threads: a request waits for a free helper.
    Result<sys::UniqueFd> spawn_monitor(const std::string& id);

private:
    struct Helper {
        sys::UniqueFd socket;
        pid_t pid = -1;
    };
    Starter() = default;
    static Result<Helper> fork_helper(const std::filesystem::path& root);
    Result<sys::UniqueFd> ask(Helper& helper, const std::string& id);

    std::vector<Helper> helpers_;
    std::vector<size_t> free_;  // indexes into helpers_
    std::mutex mutex_;
    std::condition_variable freed_;
};

}  // namespace hako::reconcile
