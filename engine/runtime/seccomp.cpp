// This file implements loading an OCI seccomp profile with libseccomp.
#include "engine/runtime/seccomp.h"

#include <seccomp.h>

#include <map>
#include <memory>

namespace hako::runtime {
namespace {

struct FilterDeleter {
    void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

Result<uint32_t> action_of(const std::string& name, std::optional<uint32_t> errno_ret) {
    if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(1));
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(1));
    return Error("seccomp: unknown action " + name);
}

Result<scmp_compare> operator_of(const std::string& name) {
    static const std::map<std::string, scmp_compare> ops = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    auto it = ops.find(name);
    if (it == ops.end()) return Error("seccomp: unknown operator " + name);
    return it->second;
}

Result<uint32_t> arch_of(const std::string& name) {
    static const std::map<std::string, uint32_t> archs = {
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64}, {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},       {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM}};
    auto it = archs.find(name);
    if (it == archs.end()) return Error("seccomp: unknown architecture " + name);
    return it->second;
}

}  // namespace

Result<void> load_seccomp(const Seccomp& profile) {
    uint32_t default_action = TRY(action_of(profile.default_action, profile.default_errno_ret));
    Filter filter(seccomp_init(default_action));
    if (!filter) return Error("seccomp_init failed");
    // libseccomp sets no_new_privs by default; whether a container gets it is the
    // spec's choice (applied separately), so loading relies on CAP_SYS_ADMIN instead.
    if (int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_syscall("seccomp_attr_set", -rc, "SCMP_FLTATR_CTL_NNP");
    // A rule equal to the default action is refused by libseccomp; it is a no-op anyway.
    for (const auto& arch_name : profile.architectures) {
        uint32_t arch = TRY(arch_of(arch_name));
        int rc = seccomp_arch_add(filter.get(), arch);
        if (rc != 0 && rc != -EEXIST) return Error::from_syscall("seccomp_arch_add", -rc, arch_name);
    }
    for (const auto& rule : profile.syscalls) {
        uint32_t action = TRY(action_of(rule.action, rule.errno_ret));
        if (action == default_action) continue;
        std::vector<scmp_arg_cmp> conditions;
        for (const auto& arg : rule.args) {
            scmp_compare op = TRY(operator_of(arg.op));
            conditions.push_back({arg.index, op, arg.value, arg.value_two});
        }
        for (const auto& name : rule.names) {
            int number = seccomp_syscall_resolve_name(name.c_str());
            if (number == __NR_SCMP_ERROR) continue;  // not a syscall on this architecture
            int rc = seccomp_rule_add_array(filter.get(), action, number, static_cast<unsigned>(conditions.size()),
                                            conditions.empty() ? nullptr : conditions.data());
            if (rc != 0 && rc != -EEXIST) return Error::from_syscall("seccomp_rule_add", -rc, name);
        }
    }
    int rc = seccomp_load(filter.get());
    if (rc != 0) return Error::from_syscall("seccomp_load", -rc);
    return ok();
}

}  // namespace hako::runtime
