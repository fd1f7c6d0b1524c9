// This file implements compiling an OCI seccomp profile with libseccomp, the
// per-state-root cache of compiled programs, and loading a program with seccomp(2).
#include "engine/runtime/seccomp.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>

#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"

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

// The profile and everything else the compiled program depends on, as text for the cache key.
std::string cache_key(const Seccomp& profile) {
    std::string text = "hako-seccomp-2\n";  // 2: the binary tree
    utsname host{};
    if (::uname(&host) == 0) text += std::string(host.machine) + " " + host.release + "\n";
    const scmp_version* version = seccomp_version();
    if (version) text += std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
                         std::to_string(version->micro) + "\n";
    auto optional_number = [](const std::optional<uint32_t>& value) {
        return value ? std::to_string(*value) : std::string("-");
    };
    text += profile.default_action + " " + optional_number(profile.default_errno_ret) + "\n";
    for (const auto& arch : profile.architectures) text += arch + ",";
    text += "\n";
    for (const auto& rule : profile.syscalls) {
        text += rule.action + " " + optional_number(rule.errno_ret) + " [";
        for (const auto& name : rule.names) text += name + ",";
        text += "] (";
        for (const auto& arg : rule.args)
            text += std::to_string(arg.index) + " " + arg.op + " " + std::to_string(arg.value) + " " +
                    std::to_string(arg.value_two) + ";";
        text += ")\n";
    }
    return text;
}

Result<SeccompProgram> program_from_bytes(std::string_view bytes) {
    if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0 || bytes.size() / sizeof(sock_filter) > BPF_MAXINSNS)
        return Error("seccomp: a compiled program of " + std::to_string(bytes.size()) + " bytes is not a BPF program");
    SeccompProgram program;
    program.instructions.resize(bytes.size() / sizeof(sock_filter));
    std::memcpy(program.instructions.data(), bytes.data(), bytes.size());
    return program;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const Seccomp& profile) {
    uint32_t default_action = TRY(action_of(profile.default_action, profile.default_errno_ret));
    Filter filter(seccomp_init(default_action));
    if (!filter) return Error("seccomp_init failed");
    // libseccomp sets no_new_privs by default; whether a container gets it is the
    // spec's choice (applied separately), so loading relies on CAP_SYS_ADMIN instead.
    if (int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_syscall("seccomp_attr_set", -rc, "SCMP_FLTATR_CTL_NNP");
    // A binary tree over the syscall numbers instead of one comparison after the
    // other. Loading a filter, the kernel runs it for every syscall number of every
    // architecture it names (~1,000) to find those it always allows (its action
    // cache): down a chain of ~110 comparisons that took ~300 µs of a container's
    // start here, down a tree of depth ~9 ~200 µs, and each system call that the
    // cache does not answer walks the shorter path too.
    if (int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc != 0)
        return Error::from_syscall("seccomp_attr_set", -rc, "SCMP_FLTATR_CTL_OPTIMIZE");
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
    // libseccomp 2.5 exports only to an fd: a memfd, read back.
    sys::UniqueFd memory(static_cast<int>(::memfd_create("hako-seccomp", MFD_CLOEXEC)));
    if (!memory) return Error::from_syscall("memfd_create", errno, "seccomp");
    if (int rc = seccomp_export_bpf(filter.get(), memory.get()); rc != 0)
        return Error::from_syscall("seccomp_export_bpf", -rc);
    off_t size = ::lseek(memory.get(), 0, SEEK_END);
    if (size < 0) return Error::from_syscall("lseek", errno, "seccomp");
    std::string bytes(static_cast<size_t>(size), '\0');
    if (::pread(memory.get(), bytes.data(), bytes.size(), 0) != size) return Error::from_syscall("pread", errno, "seccomp");
    return program_from_bytes(bytes);
}

Result<SeccompProgram> compile_seccomp_cached(const Seccomp& profile, const std::filesystem::path& cache_dir) {
    std::string key = sys::sha256_digest(cache_key(profile)).substr(7);
    std::filesystem::path file = cache_dir / (key + ".bpf");
    if (auto bytes = sys::read_file(file, BPF_MAXINSNS * sizeof(sock_filter)); bytes.ok()) {
        if (auto program = program_from_bytes(*bytes); program.ok()) return program;
    }
    auto program = TRY(compile_seccomp(profile));
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
    std::string_view bytes(reinterpret_cast<const char*>(program.instructions.data()),
                           program.instructions.size() * sizeof(sock_filter));
    // A cache entry lost in a crash is compiled again: no fsync.
    (void)sys::write_file_atomic(file, bytes, 0600, sys::Durability::Volatile);
    return program;
}

Result<void> load_seccomp_program(const SeccompProgram& program) {
    sock_fprog prog{static_cast<unsigned short>(program.instructions.size()),
                    const_cast<sock_filter*>(program.instructions.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        return Error::from_syscall("seccomp(SECCOMP_SET_MODE_FILTER)", errno);
    return ok();
}

Result<void> load_seccomp(const Seccomp& profile) { return load_seccomp_program(TRY(compile_seccomp(profile))); }

}  // namespace hako::runtime
