// This file implements capability names and the capset/prctl sequence that gives
// a container process exactly the capabilities of its spec.
#include "engine/runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "engine/sys/file.h"

namespace hako::runtime {
namespace {

constexpr std::array<std::string_view, 41> kNames = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"};

}  // namespace

int last_capability() {
    static int last = [] {
        auto text = sys::read_file("/proc/sys/kernel/cap_last_cap", 64);
        if (text.ok()) {
            try {
                return std::stoi(*text);
            } catch (...) {
            }
        }
        return static_cast<int>(kNames.size()) - 1;
    }();
    return std::min(last, static_cast<int>(kNames.size()) - 1);
}

std::optional<int> capability_number(std::string_view name) {
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string_view bare = upper;
    if (bare.starts_with("CAP_")) bare.remove_prefix(4);
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == bare) return static_cast<int>(i);
    return std::nullopt;
}

std::string capability_name(int number) {
    if (number < 0 || number >= static_cast<int>(kNames.size())) return "CAP_" + std::to_string(number);
    return "CAP_" + std::string(kNames[number]);
}

std::vector<std::string> all_capability_names() {
    std::vector<std::string> out;
    for (size_t i = 0; i < kNames.size(); ++i) out.push_back(capability_name(static_cast<int>(i)));
    return out;
}

Result<uint64_t> capability_mask(const std::vector<std::string>& names) {
    uint64_t mask = 0;
    for (const auto& name : names) {
        auto number = capability_number(name);
        if (!number) return Error("unknown capability \"" + name + "\"");
        mask |= uint64_t{1} << *number;
    }
    return mask;
}

Result<void> drop_bounding_set(uint64_t bounding, uint64_t bounding_now) {
    for (int cap = 0; cap <= last_capability(); ++cap) {
        if ((bounding & (uint64_t{1} << cap)) || !(bounding_now & (uint64_t{1} << cap))) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return Error::from_syscall("prctl(PR_CAPBSET_DROP)", errno, capability_name(cap));
    }
    return ok();
}

Result<void> apply_capabilities(const CapabilitySets& sets) {
    // Only what the caller's own bounding set still holds can be granted (a
    // privileged container on a host that lacks a capability gets the rest).
    uint64_t known = 0;
    for (int cap = 0; cap <= last_capability(); ++cap)
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) known |= uint64_t{1} << cap;
    return apply_capabilities(sets, known);
}

Result<void> apply_capabilities(const CapabilitySets& sets, uint64_t known) {
    uint64_t effective = TRY(capability_mask(sets.effective)) & known;
    uint64_t permitted = TRY(capability_mask(sets.permitted)) & known;
    uint64_t inheritable = TRY(capability_mask(sets.inheritable)) & known;
    uint64_t ambient = TRY(capability_mask(sets.ambient)) & known;

    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = static_cast<uint32_t>(effective);
    data[1].effective = static_cast<uint32_t>(effective >> 32);
    data[0].permitted = static_cast<uint32_t>(permitted);
    data[1].permitted = static_cast<uint32_t>(permitted >> 32);
    data[0].inheritable = static_cast<uint32_t>(inheritable);
    data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
    if (syscall(SYS_capset, &header, data) != 0) return Error::from_syscall("capset", errno);

    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::from_syscall("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);
    for (int cap = 0; cap <= last_capability(); ++cap) {
        if (!(ambient & (uint64_t{1} << cap))) continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            return Error::from_syscall("prctl(PR_CAP_AMBIENT_RAISE)", errno, capability_name(cap));
    }
    return ok();
}

}  // namespace hako::runtime
