// This file implements `container top`: the host's ps(1) output, with the given ps
// options (docker's default -ef), narrowed to the processes in the container's cgroup.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"

namespace hako::container {

struct ProcessTable {
    std::vector<std::string> titles;               // ps's header: UID PID PPID C STIME TTY TIME CMD
    std::vector<std::vector<std::string>> processes;  // one row per process, the last cell the whole command
};

// Parses ps output as docker does: the header gives the columns, the "PID" column
// picks the rows whose pid is in `pids`, and the last column takes the rest of the line.
Result<ProcessTable> filter_ps_output(std::string_view output, const std::set<pid_t>& pids);

// The pids in the container's cgroup; a container that is not running is an error.
Result<std::set<pid_t>> container_pids(const ContainerStore& store, const ContainerRecord& record);

// Runs `ps ps_args…` (["-ef"] when empty) and keeps the container's processes.
Result<ProcessTable> top_container(const ContainerStore& store, const ContainerRecord& record,
                                   const std::vector<std::string>& ps_args);

}  // namespace hako::container
