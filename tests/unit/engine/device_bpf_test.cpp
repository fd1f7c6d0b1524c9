// Tests of engine/runtime/device_bpf: the program's shape for the rules, and, as
// root, the kernel's verdicts with the program attached to a cgroup2 folder made
// for the test (/sys/fs/cgroup/unified/hako-test-bpf-PID here): /dev/null opens,
// /dev/zero is refused with EPERM.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/runtime/cgroup.h"
#include "engine/runtime/device_bpf.h"

using namespace hako::runtime;
namespace fs = std::filesystem;

namespace {

DeviceRule allow(const char* type, std::optional<int64_t> major, std::optional<int64_t> minor, const char* access) {
    return DeviceRule{true, type, major, minor, access};
}
const DeviceRule kDenyAll{false, "a", std::nullopt, std::nullopt, "rwm"};

// The cgroup2 mount of this host, or empty.
fs::path cgroup2_mount() {
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& m : parse_cgroup_mounts(text.str()))
        if (m.v2) return m.mountpoint;
    return {};
}

// Runs `probe` in a child moved into `cgroup_dir`; returns its exit status.
template <typename Probe>
int in_cgroup(const fs::path& cgroup_dir, Probe probe) {
    pid_t pid = fork();
    if (pid == 0) {
        std::ofstream(cgroup_dir / "cgroup.procs") << "0" << std::endl;
        _exit(probe());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

// 0 when open() works, 1 on EPERM, 2 on anything else.
int open_result(const char* path, int flags) {
    int fd = ::open(path, flags | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno == EPERM ? 1 : 2;
}

}  // namespace

TEST_CASE("device bpf: nothing to restrict means no program") {
    CHECK_FALSE(device_bpf::restricts({}));
    CHECK_FALSE(device_bpf::restricts({allow("a", std::nullopt, std::nullopt, "rwm")}));
    CHECK(device_bpf::restricts({kDenyAll}));
    CHECK(device_bpf::restricts({allow("a", std::nullopt, std::nullopt, "rwm"), {false, "c", 1, 5, "w"}}));
}

TEST_CASE("device bpf: rules are checked last first, a catch-all ends the program") {
    // Prologue (6) + deny-all (2): the catch-all returns, nothing follows it.
    auto deny = device_bpf::assemble({kDenyAll});
    REQUIRE(deny.size() == 8);
    CHECK(deny[6].code == (BPF_ALU64 | BPF_MOV | BPF_K));
    CHECK(deny[6].imm == 0);
    CHECK(deny[7].code == (BPF_JMP | BPF_EXIT));
    // c 1:3 rwm: type, major, minor checks, verdict, exit = 5; jumps skip to the next block.
    auto one = device_bpf::assemble({kDenyAll, allow("c", 1, 3, "rwm")});
    REQUIRE(one.size() == 6 + 5 + 2);
    CHECK(one[6].code == (BPF_JMP | BPF_JNE | BPF_K));
    CHECK(one[6].imm == BPF_DEVCG_DEV_CHAR);
    CHECK(one[6].off == 4);
    CHECK(one[7].imm == 1);
    CHECK(one[7].off == 3);
    CHECK(one[8].imm == 3);
    CHECK(one[8].off == 2);
    CHECK(one[9].imm == 1);  // allow
    // An access subset adds the mask test: (asked & r) == asked.
    auto read_only = device_bpf::assemble({kDenyAll, allow("c", std::nullopt, std::nullopt, "r")});
    REQUIRE(read_only.size() == 6 + 6 + 2);
    CHECK(read_only[8].imm == BPF_DEVCG_ACC_READ);
    // No catch-all: the program ends denying.
    auto open_end = device_bpf::assemble({allow("b", 8, std::nullopt, "m")});
    CHECK(open_end.back().code == (BPF_JMP | BPF_EXIT));
    CHECK(open_end[open_end.size() - 2].imm == 0);
}

TEST_CASE("device bpf: attached to a cgroup2 folder, the kernel lets exactly the allowed devices through") {
    fs::path mount = cgroup2_mount();
    if (geteuid() != 0 || mount.empty()) {
        WARN("skipped: needs root and a cgroup2 mount");
        return;
    }
    fs::path dir = mount / ("hako-test-bpf-" + std::to_string(getpid()));
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    struct Cleanup {
        fs::path dir;
        ~Cleanup() { ::rmdir(dir.c_str()); }
    } cleanup{dir};

    auto attached = device_bpf::attach(dir, {kDenyAll, allow("c", std::nullopt, std::nullopt, "m"),
                                             allow("c", 1, 3, "rwm"), allow("c", 1, 8, "r")});
    REQUIRE(attached.ok());
    REQUIRE(attached->valid());
    CHECK(in_cgroup(dir, [] { return open_result("/dev/null", O_RDWR); }) == 0);
    CHECK(in_cgroup(dir, [] { return open_result("/dev/zero", O_RDONLY); }) == 1);
    CHECK(in_cgroup(dir, [] { return open_result("/dev/random", O_RDONLY); }) == 0);
    CHECK(in_cgroup(dir, [] { return open_result("/dev/random", O_WRONLY); }) == 1);
    // Outside the cgroup nothing changed.
    CHECK(open_result("/dev/zero", O_RDONLY) == 0);

    REQUIRE(device_bpf::detach(dir, attached->get()).ok());
    CHECK(in_cgroup(dir, [] { return open_result("/dev/zero", O_RDONLY); }) == 0);
}
