// This file implements a running container's resource figures as `docker
// stats` shows them: CPU time, memory, pids and block I/O from its cgroup
// (/hako/<id>, v1, hybrid or v2 files, whichever hold them) and network bytes
// from its init's /proc/PID/net/dev, plus docker's CPU and memory percentages.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"

namespace hako::container {

struct ContainerStats {
    uint64_t cpu_usage_ns = 0;     // the cgroup's CPU time
    uint64_t system_cpu_ns = 0;    // the host's CPU time (/proc/stat), for the percentage
    uint32_t online_cpus = 1;
    uint64_t memory_usage = 0;     // without the inactive file cache, as docker's CLI shows it
    uint64_t memory_limit = 0;     // the limit, or the host's memory when none
    uint64_t pids = 0;
    uint64_t net_rx = 0, net_tx = 0;          // bytes, every interface but lo
    uint64_t block_read = 0, block_write = 0;  // bytes
};

// Reads the figures of a running container (`pid`: its init).
Result<ContainerStats> read_stats(const ContainerRecord& record, pid_t pid);

// Reads the same from explicit places (tests): the container's cgroup folder in
// each hierarchy, /proc/stat's text and /proc/meminfo's MemTotal in bytes, and
// the net/dev text of its network namespace.
ContainerStats stats_from(const std::vector<std::filesystem::path>& cgroup_dirs, std::string_view proc_stat,
                          uint64_t host_memory, std::string_view net_dev);

// docker's CPU %: the container's share of the host's CPU time between two
// samples, times the number of CPUs, in percent (0 when nothing elapsed).
double cpu_percent(const ContainerStats& before, const ContainerStats& after);
// usage / limit in percent.
double memory_percent(const ContainerStats& stats);

// docker's size units: "1.5kB", "12.3MiB"… `binary` picks KiB/MiB (memory)
// rather than kB/MB (I/O), with 3 significant digits as docker's HumanSize.
std::string human_size(double bytes, bool binary);

}  // namespace hako::container
