// Tests engine/runtime/seccomp.cpp: compiling profiles to BPF and the per-state-root cache.
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <optional>

#include "engine/runtime/capabilities.h"
#include "engine/runtime/seccomp.h"
#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"

using namespace hako;
using namespace hako::runtime;
namespace fs = std::filesystem;

namespace {

bool same_program(const SeccompProgram& a, const SeccompProgram& b) {
    return a.instructions.size() == b.instructions.size() &&
           std::memcmp(a.instructions.data(), b.instructions.data(), a.instructions.size() * sizeof(sock_filter)) == 0;
}

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) out.push_back(entry.path());
    return out;
}

Seccomp small_profile(const std::string& blocked) {
    Seccomp profile;
    profile.default_action = "SCMP_ACT_ALLOW";
    profile.architectures = {"SCMP_ARCH_X86_64"};
    profile.syscalls.push_back({{blocked}, "SCMP_ACT_ERRNO", 1, {}});
    return profile;
}

// Runs a classic BPF program on one system call of x86_64 as the kernel would (the
// instructions libseccomp emits): its return value and how many instructions ran,
// or nothing for an instruction this runner does not know.
struct Verdict {
    uint32_t action;
    int steps;
};
std::optional<Verdict> run_filter(const SeccompProgram& program, int nr, uint64_t arg0 = 0) {
    seccomp_data data{};
    data.nr = nr;
    data.arch = AUDIT_ARCH_X86_64;
    data.args[0] = arg0;
    auto word = [&](uint32_t offset) {
        uint32_t value = 0;
        std::memcpy(&value, reinterpret_cast<const char*>(&data) + offset, sizeof value);
        return value;
    };
    uint32_t a = 0;
    int steps = 0;
    for (size_t pc = 0; pc < program.instructions.size(); ++pc) {
        const sock_filter& op = program.instructions[pc];
        ++steps;
        auto jump = [&](bool taken) { pc += taken ? op.jt : op.jf; };
        switch (op.code) {
            case BPF_LD | BPF_W | BPF_ABS: a = word(op.k); break;
            case BPF_ALU | BPF_AND | BPF_K: a &= op.k; break;
            case BPF_JMP | BPF_JA: pc += op.k; break;
            case BPF_JMP | BPF_JEQ | BPF_K: jump(a == op.k); break;
            case BPF_JMP | BPF_JGT | BPF_K: jump(a > op.k); break;
            case BPF_JMP | BPF_JGE | BPF_K: jump(a >= op.k); break;
            case BPF_JMP | BPF_JSET | BPF_K: jump((a & op.k) != 0); break;
            case BPF_RET | BPF_K: return Verdict{op.k, steps};
            default: return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("seccomp: the default program refuses what it names and walks a short path for the rest") {
    auto program = compile_seccomp(default_seccomp_profile(0));
    REQUIRE(program.ok());
    for (int nr : {SYS_read, SYS_write, SYS_getpid, SYS_openat, SYS_execve, SYS_exit_group, SYS_futex, SYS_sethostname}) {
        auto verdict = run_filter(*program, nr);
        REQUIRE(verdict);
        INFO("syscall " << nr << ": " << verdict->steps << " instructions");
        CHECK(verdict->action == SECCOMP_RET_ALLOW);
        // A tree over the numbers (SCMP_FLTATR_CTL_OPTIMIZE 2): a chain of one
        // comparison per named syscall took ~110 steps to allow anything.
        CHECK(verdict->steps <= 40);
    }
    for (int nr : {SYS_mount, SYS_umount2, SYS_pivot_root, SYS_reboot, SYS_init_module, SYS_kexec_load, SYS_bpf,
                   SYS_keyctl, SYS_unshare, SYS_setns}) {
        auto verdict = run_filter(*program, nr);
        REQUIRE(verdict);
        INFO("syscall " << nr);
        CHECK(verdict->action == (SECCOMP_RET_ERRNO | EPERM));
    }
    auto plain_clone = run_filter(*program, SYS_clone, SIGCHLD);
    auto namespace_clone = run_filter(*program, SYS_clone, CLONE_NEWNS | SIGCHLD);
    REQUIRE(plain_clone);
    REQUIRE(namespace_clone);
    CHECK(plain_clone->action == SECCOMP_RET_ALLOW);
    CHECK(namespace_clone->action == (SECCOMP_RET_ERRNO | EPERM));
}

TEST_CASE("seccomp: the default profile compiles to a BPF program") {
    auto program = compile_seccomp(default_seccomp_profile(0));
    REQUIRE(program.ok());
    CHECK(program->instructions.size() > 10);
    CHECK(program->instructions.size() <= BPF_MAXINSNS);
}

TEST_CASE("seccomp: a cached program is the compiled one, read back from CACHE_DIR/<key>.bpf") {
    auto temp = sys::TempDir::create(fs::temp_directory_path(), "hako-seccomp-test");
    REQUIRE(temp.ok());
    fs::path cache = temp->path() / "cache";
    Seccomp profile = default_seccomp_profile(0);
    auto compiled = compile_seccomp(profile);
    REQUIRE(compiled.ok());

    auto first = compile_seccomp_cached(profile, cache);
    REQUIRE(first.ok());
    CHECK(same_program(*first, *compiled));
    auto files = files_in(cache);
    REQUIRE(files.size() == 1);
    CHECK(files.front().extension() == ".bpf");
    CHECK(fs::file_size(files.front()) == compiled->instructions.size() * sizeof(sock_filter));

    auto second = compile_seccomp_cached(profile, cache);
    REQUIRE(second.ok());
    CHECK(same_program(*second, *compiled));
    CHECK(files_in(cache).size() == 1);
}

TEST_CASE("seccomp: another profile gets another cache entry") {
    auto temp = sys::TempDir::create(fs::temp_directory_path(), "hako-seccomp-test");
    REQUIRE(temp.ok());
    auto a = compile_seccomp_cached(small_profile("mount"), temp->path());
    auto b = compile_seccomp_cached(small_profile("reboot"), temp->path());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK_FALSE(same_program(*a, *b));
    CHECK(files_in(temp->path()).size() == 2);
}

TEST_CASE("seccomp: a damaged cache entry is compiled again and replaced") {
    auto temp = sys::TempDir::create(fs::temp_directory_path(), "hako-seccomp-test");
    REQUIRE(temp.ok());
    Seccomp profile = small_profile("mount");
    auto good = compile_seccomp_cached(profile, temp->path());
    REQUIRE(good.ok());
    auto files = files_in(temp->path());
    REQUIRE(files.size() == 1);
    REQUIRE(sys::write_file_atomic(files.front(), "not a program", 0600, sys::Durability::Volatile).ok());

    auto again = compile_seccomp_cached(profile, temp->path());
    REQUIRE(again.ok());
    CHECK(same_program(*again, *good));
    CHECK(fs::file_size(files.front()) == good->instructions.size() * sizeof(sock_filter));
}

TEST_CASE("seccomp: an unknown action is an error, not a program") {
    Seccomp profile = small_profile("mount");
    profile.syscalls.front().action = "SCMP_ACT_EXPLODE";
    auto program = compile_seccomp(profile);
    REQUIRE_FALSE(program.ok());
    CHECK(program.error().message.find("SCMP_ACT_EXPLODE") != std::string::npos);
}
