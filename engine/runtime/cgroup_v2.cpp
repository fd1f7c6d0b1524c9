// This file implements container limits on the cgroup v2 unified hierarchy (the
// device rules through device_bpf) and OOM-kill detection through memory.events.
#include <sys/stat.h>

#include <sstream>

#include "engine/runtime/cgroup.h"
#include "engine/runtime/device_bpf.h"
#include "engine/sys/file.h"

namespace hako::runtime::cgroup_v2 {
namespace {

namespace fs = std::filesystem;

// Enables `controllers` (those available) for the children of every ancestor of
// the container's folder, creating the folders on the way.
Result<void> make_folders(const fs::path& mountpoint, const std::string& path) {
    auto available = sys::read_file(mountpoint / "cgroup.controllers", 4096);
    std::string enable;
    if (available.ok()) {
        std::istringstream in(*available);
        std::string name;
        while (in >> name)
            if (name == "memory" || name == "pids" || name == "cpu" || name == "cpuset" || name == "io")
                enable += (enable.empty() ? "+" : " +") + name;
    }
    fs::path current = mountpoint;
    for (const auto& part : fs::path(path).relative_path()) {
        if (!enable.empty()) {
            auto result = write_cgroup_file(current / "cgroup.subtree_control", enable);
            (void)result;  // a controller a parent cannot delegate shows up later as a missing file
        }
        current /= part;
        if (::mkdir(current.c_str(), 0755) != 0 && errno != EEXIST)
            return Error::from_syscall("mkdir", errno, current.string());
    }
    return ok();
}

}  // namespace

Result<void> apply(const fs::path& mountpoint, const std::string& path, const Resources& r) {
    TRY(make_folders(mountpoint, path));
    fs::path dir = mountpoint / fs::path(path).relative_path();
    if (r.memory_limit && *r.memory_limit > 0)
        TRY(write_cgroup_file(dir / "memory.max", std::to_string(*r.memory_limit)));
    if (auto swap = v2_swap_max(r.memory_limit, r.memory_swap); swap && fs::exists(dir / "memory.swap.max"))
        TRY(write_cgroup_file(dir / "memory.swap.max", *swap));
    if (r.memory_reservation && *r.memory_reservation > 0)
        TRY(write_cgroup_file(dir / "memory.low", std::to_string(*r.memory_reservation)));
    if (r.cpu_quota || r.cpu_period) TRY(write_cgroup_file(dir / "cpu.max", v2_cpu_max(r.cpu_quota, r.cpu_period)));
    if (r.cpu_shares && *r.cpu_shares > 0)
        TRY(write_cgroup_file(dir / "cpu.weight", std::to_string(v2_cpu_weight(*r.cpu_shares))));
    if (r.cpuset_cpus && !r.cpuset_cpus->empty()) TRY(write_cgroup_file(dir / "cpuset.cpus", *r.cpuset_cpus));
    if (r.pids_limit)
        TRY(write_cgroup_file(dir / "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
    // cgroup v2 has no devices files: the device rules are an eBPF program.
    TRY(device_bpf::limit_devices(dir, r.devices));
    return ok();
}

Result<bool> oom_killed(const fs::path& dir) {
    return TRY(read_cgroup_key(dir / "memory.events", "oom_kill")) > 0;
}

}  // namespace hako::runtime::cgroup_v2
