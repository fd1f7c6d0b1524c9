// This file implements container limits on cgroup v1 hierarchies (one folder per
// controller) and OOM-kill detection through memory.oom_control.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "engine/runtime/cgroup.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"

namespace hako::runtime::cgroup_v1 {
namespace {

namespace fs = std::filesystem;

bool has(const CgroupMount& m, const char* controller) {
    return std::find(m.controllers.begin(), m.controllers.end(), controller) != m.controllers.end();
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// mkdir -p; in the cpuset hierarchy a new folder starts with no cpus and mems,
// and a process cannot join it until they are copied from the parent.
Result<void> make_folders(const fs::path& mountpoint, const std::string& path, bool cpuset) {
    // The parents (/hako) exist after the first container: one mkdir of the leaf.
    if (!cpuset) {
        fs::path leaf = mountpoint / fs::path(path).relative_path();
        if (::mkdir(leaf.c_str(), 0755) == 0 || errno == EEXIST) return ok();
        if (errno != ENOENT) return Error::from_syscall("mkdir", errno, leaf.string());
    }
    fs::path current = mountpoint;
    for (const auto& part : fs::path(path).relative_path()) {
        fs::path parent = current;
        current /= part;
        if (::mkdir(current.c_str(), 0755) != 0 && errno != EEXIST)
            return Error::from_syscall("mkdir", errno, current.string());
        if (!cpuset) continue;
        for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
            auto value = trimmed(TRY(sys::read_file(current / file, 4096)));
            if (!value.empty()) continue;
            auto inherited = trimmed(TRY(sys::read_file(parent / file, 4096)));
            TRY(write_cgroup_file(current / file, inherited));
        }
    }
    return ok();
}

// Device rules, one write(2) each (the kernel takes one rule per write) on one
// open fd per file: an open and a close around each of the dozen default rules
// cost two dozen system calls more.
Result<void> write_device_rules(const fs::path& dir, const std::vector<DeviceRule>& rules) {
    std::string open_file;
    sys::UniqueFd fd;
    for (const auto& [file, line] : v1_device_writes(rules)) {
        fs::path path = dir / file;
        if (file != open_file) {
            fd.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
            if (!fd) return Error::from_syscall("open", errno, path.string());
            open_file = file;
        }
        if (::write(fd.get(), line.data(), line.size()) < 0)
            return Error::from_syscall("write", errno, path.string() + " (" + line + ")");
    }
    return ok();
}

}  // namespace

Result<void> apply(const std::vector<CgroupMount>& mounts, const std::string& path, const Resources& r) {
    for (const auto& m : mounts) {
        if (m.v2) continue;
        fs::path dir = m.mountpoint / fs::path(path).relative_path();
        TRY(make_folders(m.mountpoint, path, has(m, "cpuset")));
        if (has(m, "memory")) {
            if (r.memory_limit && *r.memory_limit > 0)
                TRY(write_cgroup_file(dir / "memory.limit_in_bytes", std::to_string(*r.memory_limit)));
            if (r.memory_swap && *r.memory_swap != 0 && fs::exists(dir / "memory.memsw.limit_in_bytes"))
                TRY(write_cgroup_file(dir / "memory.memsw.limit_in_bytes", std::to_string(*r.memory_swap)));
            if (r.memory_reservation && *r.memory_reservation > 0)
                TRY(write_cgroup_file(dir / "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation)));
        }
        if (has(m, "cpu")) {
            if (r.cpu_period) TRY(write_cgroup_file(dir / "cpu.cfs_period_us", std::to_string(*r.cpu_period)));
            if (r.cpu_quota) TRY(write_cgroup_file(dir / "cpu.cfs_quota_us", std::to_string(*r.cpu_quota)));
            if (r.cpu_shares && *r.cpu_shares > 0)
                TRY(write_cgroup_file(dir / "cpu.shares", std::to_string(*r.cpu_shares)));
        }
        if (has(m, "cpuset") && r.cpuset_cpus && !r.cpuset_cpus->empty())
            TRY(write_cgroup_file(dir / "cpuset.cpus", *r.cpuset_cpus));
        if (has(m, "pids") && r.pids_limit)
            TRY(write_cgroup_file(dir / "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
        if (has(m, "devices")) TRY(write_device_rules(dir, r.devices));
    }
    return ok();
}

Result<bool> oom_killed(const fs::path& memory_dir) {
    if (memory_dir.empty()) return false;
    return TRY(read_cgroup_key(memory_dir / "memory.oom_control", "oom_kill")) > 0;
}

}  // namespace hako::runtime::cgroup_v1
