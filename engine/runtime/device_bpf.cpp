// This file implements the cgroup v2 device controller: the spec's device rules
// assembled into eBPF instructions by hand (no libbpf), loaded and attached with bpf(2).
#include "engine/runtime/device_bpf.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace hako::runtime::device_bpf {
namespace {

// Registers: R1 is the context (struct bpf_cgroup_dev_ctx) on entry; the
// prologue leaves the device type in R2, the access asked for in R3, the major
// in R4 and the minor in R5, and R0 is the verdict (1 allow, 0 deny).
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

bpf_insn instruction(uint8_t code, uint8_t dst, uint8_t src, int16_t offset, int32_t immediate) {
    bpf_insn insn{};
    insn.code = code;
    insn.dst_reg = dst & 0xf;
    insn.src_reg = src & 0xf;
    insn.off = offset;
    insn.imm = immediate;
    return insn;
}
bpf_insn load_word(uint8_t dst, uint8_t src, int16_t offset) {
    return instruction(BPF_LDX | BPF_W | BPF_MEM, dst, src, offset, 0);
}
bpf_insn alu32_immediate(uint8_t op, uint8_t dst, int32_t immediate) {
    return instruction(BPF_ALU | op | BPF_K, dst, 0, 0, immediate);
}
bpf_insn move32_register(uint8_t dst, uint8_t src) { return instruction(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn jump_if_not_equal_immediate(uint8_t dst, int32_t immediate) {
    return instruction(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, immediate);
}
bpf_insn jump_if_not_equal_register(uint8_t dst, uint8_t src) {
    return instruction(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0);
}
bpf_insn move64_immediate(uint8_t dst, int32_t immediate) {
    return instruction(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, immediate);
}
bpf_insn exit_program() { return instruction(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
    if (access.empty()) return BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    int32_t bits = 0;
    for (char c : access) {
        if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
        if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
        if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

bool matches_everything(const DeviceRule& rule) {
    return (rule.type.empty() || rule.type == "a") && !rule.major && !rule.minor &&
           access_bits(rule.access) == kAllAccess;
}

long bpf(int command, bpf_attr& attr) { return syscall(SYS_bpf, command, &attr, sizeof attr); }

uint64_t address_of(const void* pointer) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(pointer)); }

Result<sys::UniqueFd> load(const std::vector<bpf_insn>& program) {
    static const char license[] = "Apache";
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = address_of(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    attr.license = address_of(license);
    long fd = bpf(BPF_PROG_LOAD, attr);
    if (fd >= 0) return sys::UniqueFd(static_cast<int>(fd));
    int saved = errno;
    if (saved != EINVAL && saved != EACCES) return Error::from_syscall("bpf(BPF_PROG_LOAD)", saved, "device program");
    // The verifier refused it: load again with its log, for the message.
    std::string log(16384, '\0');
    attr.log_level = 1;
    attr.log_buf = address_of(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    fd = bpf(BPF_PROG_LOAD, attr);
    if (fd >= 0) return sys::UniqueFd(static_cast<int>(fd));
    log.resize(std::strlen(log.c_str()));
    return Error::from_syscall("bpf(BPF_PROG_LOAD)", saved, "device program: " + log);
}

// BPF_PROG_ATTACH (with BPF_F_ALLOW_MULTI: programs of other owners stay) or
// BPF_PROG_DETACH of a device program on the cgroup folder `cgroup_dir`.
Result<void> cgroup_command(int command, const std::filesystem::path& cgroup_dir, int program_fd) {
    int dir = ::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return Error::from_syscall("open", errno, cgroup_dir.string());
    sys::UniqueFd dir_owner(dir);
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(dir);
    attr.attach_bpf_fd = static_cast<uint32_t>(program_fd);
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (command == BPF_PROG_ATTACH) attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(command, attr) != 0)
        return Error::from_syscall(command == BPF_PROG_ATTACH ? "bpf(BPF_PROG_ATTACH)" : "bpf(BPF_PROG_DETACH)", errno,
                                   cgroup_dir.string());
    return ok();
}

}  // namespace

bool restricts(const std::vector<DeviceRule>& rules) {
    if (rules.empty()) return false;
    const DeviceRule& last = rules.back();
    return !(last.allow && matches_everything(last));
}

std::vector<bpf_insn> assemble(const std::vector<DeviceRule>& rules) {
    std::vector<bpf_insn> program = {
        load_word(R2, R1, 0), alu32_immediate(BPF_AND, R2, 0xffff),  // device type
        load_word(R3, R1, 0), alu32_immediate(BPF_RSH, R3, 16),      // access asked for
        load_word(R4, R1, 4),                                        // major
        load_word(R5, R1, 8),                                        // minor
    };
    // The last rule decides first; a rule that matches everything ends the program
    // (the verifier refuses instructions that cannot be reached).
    for (auto rule = rules.rbegin(); rule != rules.rend(); ++rule) {
        std::vector<bpf_insn> block;
        std::vector<size_t> jumps;  // indices of the jumps to the next block
        const std::string type = rule->type.empty() ? "a" : rule->type;
        if (type != "a" && type != "c" && type != "b") continue;  // matches no access
        if (type != "a") {
            jumps.push_back(block.size());
            block.push_back(jump_if_not_equal_immediate(R2, type == "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
        }
        int32_t access = access_bits(rule->access);
        if (access != kAllAccess) {
            block.push_back(move32_register(R1, R3));
            block.push_back(alu32_immediate(BPF_AND, R1, access));
            jumps.push_back(block.size());
            block.push_back(jump_if_not_equal_register(R1, R3));
        }
        if (rule->major) {
            jumps.push_back(block.size());
            block.push_back(jump_if_not_equal_immediate(R4, static_cast<int32_t>(*rule->major)));
        }
        if (rule->minor) {
            jumps.push_back(block.size());
            block.push_back(jump_if_not_equal_immediate(R5, static_cast<int32_t>(*rule->minor)));
        }
        block.push_back(move64_immediate(R0, rule->allow ? 1 : 0));
        block.push_back(exit_program());
        for (size_t index : jumps) block[index].off = static_cast<int16_t>(block.size() - index - 1);
        program.insert(program.end(), block.begin(), block.end());
        if (jumps.empty()) return program;
    }
    program.push_back(move64_immediate(R0, 0));
    program.push_back(exit_program());
    return program;
}

Result<sys::UniqueFd> attach(const std::filesystem::path& cgroup_dir, const std::vector<DeviceRule>& rules) {
    if (!restricts(rules)) return sys::UniqueFd();
    auto program = TRY(load(assemble(rules)));
    TRY(cgroup_command(BPF_PROG_ATTACH, cgroup_dir, program.get()));
    return program;
}

Result<void> detach(const std::filesystem::path& cgroup_dir, int program_fd) {
    return cgroup_command(BPF_PROG_DETACH, cgroup_dir, program_fd);
}

Result<void> limit_devices(const std::filesystem::path& cgroup_dir, const std::vector<DeviceRule>& rules) {
    auto attached = attach(cgroup_dir, rules);
    if (attached.ok()) return ok();
    int err = attached.error().errno_value;
    if (err == EPERM || err == ENOSYS) {
        spdlog::warn("device cgroup not enforced for {}: {}", cgroup_dir.string(), attached.error().message);
        return ok();
    }
    return std::move(attached).error();
}

}  // namespace hako::runtime::device_bpf
