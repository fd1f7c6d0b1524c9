// This file implements hako's default seccomp profile, modelled on Docker's: the
// syscalls Docker only allows with a capability are refused here without it.
#include <sched.h>

#include <string>
#include <vector>

#include "engine/runtime/capabilities.h"
#include "engine/runtime/seccomp.h"

namespace hako::runtime {
namespace {

constexpr uint32_t kEperm = 1;
constexpr uint32_t kEnosys = 38;

struct Guarded {
    const char* capability;  // nullptr: refused whatever the capabilities
    std::vector<std::string> names;
};

}  // namespace

Seccomp default_seccomp_profile(uint64_t capabilities) {
    const std::vector<Guarded> guarded = {
        {nullptr, {"kexec_load", "kexec_file_load", "keyctl", "add_key", "request_key", "userfaultfd",
                   "uselib", "nfsservctl", "_sysctl", "get_kernel_syms", "query_module", "create_module",
                   "vm86", "vm86old", "lookup_dcookie", "io_uring_setup", "io_uring_enter",
                   "io_uring_register"}},
        {"CAP_SYS_ADMIN", {"mount", "umount", "umount2", "pivot_root", "unshare", "setns", "swapon", "swapoff",
                           "quotactl", "quotactl_fd", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
                           "open_tree", "mount_setattr", "name_to_handle_at", "fanotify_init", "syslog"}},
        {"CAP_SYS_BOOT", {"reboot"}},
        {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
        {"CAP_SYS_PACCT", {"acct"}},
        {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex",
                          "clock_adjtime", "clock_adjtime64"}},
        {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
        {"CAP_SYS_PTRACE", {"process_vm_readv", "process_vm_writev", "kcmp"}},
        {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
        {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
        {"CAP_SYS_ADMIN", {"bpf", "perf_event_open", "lookup_dcookie"}},
    };
    auto granted = [&](const char* name) {
        auto number = capability_number(name);
        return number && (capabilities & (uint64_t{1} << *number));
    };

    Seccomp profile;
    profile.default_action = "SCMP_ACT_ALLOW";
    profile.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    std::vector<std::string> refused;
    for (const auto& group : guarded)
        if (!group.capability || !granted(group.capability))
            refused.insert(refused.end(), group.names.begin(), group.names.end());
    profile.syscalls.push_back({refused, "SCMP_ACT_ERRNO", kEperm, {}});

    if (!granted("CAP_SYS_ADMIN")) {
        // clone with a namespace flag is refused (one rule per flag: the filter
        // language has no "masked value != 0"); clone3 says ENOSYS so that libc
        // falls back to clone, whose flags the filter can read.
        const uint64_t flags[] = {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                  CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};
        for (uint64_t flag : flags)
            profile.syscalls.push_back({{"clone"}, "SCMP_ACT_ERRNO", kEperm, {{0, flag, flag, "SCMP_CMP_MASKED_EQ"}}});
        profile.syscalls.push_back({{"clone3"}, "SCMP_ACT_ERRNO", kEnosys, {}});
    }
    return profile;
}

}  // namespace hako::runtime
