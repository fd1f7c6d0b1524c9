// This file declares a container's control group: where it lives on cgroup v1,
// v2 or the hybrid layout (v1 controllers plus a v2 `unified` mount, handled as
// runc does), its limits, joining, OOM-kill detection and removal.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::runtime {

enum class CgroupLayout { V1, Hybrid, V2 };

// One cgroup hierarchy mounted on the host.
struct CgroupMount {
    std::filesystem::path mountpoint;
    bool v2 = false;
    std::vector<std::string> controllers;  // v1: "memory", "cpu", "name=systemd"…; v2: empty
};

// Every cgroup and cgroup2 mount listed in /proc/self/mountinfo text.
std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo);
// The host's hierarchies, parsed from /proc/self/mountinfo once per process: they
// do not change while a hako process runs, and a run used to read that file three times.
Result<std::vector<CgroupMount>> host_cgroup_mounts();
// V2 when the only hierarchy is cgroup2, Hybrid when v1 hierarchies sit beside a
// cgroup2 one, V1 otherwise.
CgroupLayout layout_of(const std::vector<CgroupMount>& mounts);

// On v1 and hybrid hosts a container gets a folder only in the hierarchies hako
// limits, accounts, freezes or guards devices with (memory, cpu, cpuacct, pids,
// devices, freezer, blkio; cpuset when `cpuset` is asked or its folder exists):
// a folder in each of the dozen others was a mkdir, a join and an rmdir per run
// for nothing. On v2 the one hierarchy is always used.
bool uses_hierarchy(const CgroupMount& mount, CgroupLayout layout, bool cpuset);

// Pure computations, shared by both versions and by the spec builder.
int64_t cpu_quota_for(double cpus, uint64_t period_us = 100000);
// cgroup v2 cpu.max text: "150000 100000" or "max 100000".
std::string v2_cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period);
// cgroup v2 memory.swap.max from OCI's memory+swap total: "max" for -1, else total - limit.
std::optional<std::string> v2_swap_max(std::optional<int64_t> limit, std::optional<int64_t> memory_swap);
// cgroup v2 cpu.weight from cpu.shares (runc's conversion).
uint64_t v2_cpu_weight(uint64_t shares);
// The lines written to a v1 devices cgroup for `rules`: "a" to devices.deny, "c 1:3 rwm" …
std::vector<std::pair<std::string, std::string>> v1_device_writes(const std::vector<DeviceRule>& rules);

class Cgroup {
public:
    // Creates the cgroup `path` (e.g. "/hako/ID", from each hierarchy's root) in
    // every hierarchy and writes the limits of `resources`.
    static Result<Cgroup> create(const std::string& path, const Resources& resources);
    // Names an existing cgroup (no system call), for delete after a restart of hako.
    static Result<Cgroup> open(const std::string& path);

    const std::string& path() const { return path_; }
    CgroupLayout layout() const { return layout_; }
    const std::vector<std::filesystem::path>& directories() const { return directories_; }

    // Moves `pid` (0: the caller) into the cgroup in every hierarchy.
    Result<void> add_process(pid_t pid) const;
    // cgroup.procs of every hierarchy, opened for join_opened().
    Result<std::vector<sys::UniqueFd>> open_procs_files() const;
    // For a process that moves itself in (join_opened(files, 0): the calling thread,
    // the whole process when it has one): each v1 hierarchy's `tasks` file. A write
    // of "0" there moves the writing thread alone, which the kernel does without
    // its threadgroup lock; a write to cgroup.procs takes that lock, and taking it
    // waits for an RCU grace period (~0.3 ms here, expedited, with an IPI to every
    // other CPU). Empty when a hierarchy has no `tasks` file (v2): then the creator
    // joins the process through open_procs_files().
    Result<std::vector<sys::UniqueFd>> open_task_files() const;
    // Moves `pid` in through files from open_procs_files() with write(2)s alone:
    // it allocates nothing, so it may run beside a child that shares this memory.
    // Returns -1 when every write succeeded, else the index of the file that
    // failed (errno set).
    static int join_opened(const std::vector<sys::UniqueFd>& files, pid_t pid) noexcept;
    // Whether the kernel OOM-killed a process of this cgroup; read it after the init exits and before destroy().
    Result<bool> oom_killed() const;
    // Pids of the processes in the cgroup.
    Result<std::vector<pid_t>> processes() const;
    // SIGKILLs every process, waits for the cgroup to empty and removes its folders.
    Result<void> destroy() const;

private:
    std::string path_;
    CgroupLayout layout_ = CgroupLayout::V2;
    std::vector<std::filesystem::path> directories_;
    std::filesystem::path memory_dir_;  // where OOM counters live
    std::filesystem::path procs_dir_;   // one directory to list processes from
};

namespace cgroup_v1 {
// Writes the limits into the v1 folders (one per hierarchy).
Result<void> apply(const std::vector<CgroupMount>& mounts, const std::string& path, const Resources& resources);
Result<bool> oom_killed(const std::filesystem::path& memory_dir);
}  // namespace cgroup_v1

namespace cgroup_v2 {
// Enables the controllers the limits need on each ancestor, then writes them.
Result<void> apply(const std::filesystem::path& mountpoint, const std::string& path, const Resources& resources);
Result<bool> oom_killed(const std::filesystem::path& dir);
}  // namespace cgroup_v2

// Writes one cgroup file (no temp file: cgroup files are not regular files).
Result<void> write_cgroup_file(const std::filesystem::path& file, std::string_view value);
// Reads a flat-keyed cgroup file ("key value" lines: memory.events,
// memory.oom_control) and returns the value of `key`, 0 when absent.
Result<long long> read_cgroup_key(const std::filesystem::path& file, std::string_view key);

}  // namespace hako::runtime
