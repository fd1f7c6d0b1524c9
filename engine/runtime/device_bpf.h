// This file declares the device cgroup of cgroup v2: an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE assembled from the spec's device rules (as runc's
// devicefilter does) and attached to a cgroup folder with the bpf(2) system call.
#pragma once

#include <linux/bpf.h>

#include <filesystem>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::runtime::device_bpf {

// Whether `rules` restrict anything: false when they are empty or when the rule
// that decides every access is an unconditional "allow a rwm" (privileged).
bool restricts(const std::vector<DeviceRule>& rules);

// The program for `rules`: a later rule overrides an earlier one (as the v1
// devices controller's list), an access no rule matches is denied. A rule
// matches when the device type, major and minor fit and the access asked for
// (a subset of mknod, read, write) lies within the rule's access.
std::vector<bpf_insn> assemble(const std::vector<DeviceRule>& rules);

// Loads the program for `rules` and attaches it to the cgroup v2 folder `cgroup_dir`
// with BPF_F_ALLOW_MULTI. Returns the program's fd (the attachment lives as long as
// the cgroup; the fd is only needed to detach it early), or an empty fd when
// `rules` restrict nothing.
Result<sys::UniqueFd> attach(const std::filesystem::path& cgroup_dir, const std::vector<DeviceRule>& rules);
// Detaches the program `program_fd` from `cgroup_dir`.
Result<void> detach(const std::filesystem::path& cgroup_dir, int program_fd);

// What the runtime calls on a pure cgroup v2 host: attach(), except that a kernel
// that refuses bpf(2) to this process (EPERM, ENOSYS: a seccomp filter, no
// CONFIG_CGROUP_BPF) logs a warning and leaves devices unrestricted, as before.
Result<void> limit_devices(const std::filesystem::path& cgroup_dir, const std::vector<DeviceRule>& rules);

}  // namespace hako::runtime::device_bpf
