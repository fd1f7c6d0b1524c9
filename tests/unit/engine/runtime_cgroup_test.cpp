// Tests engine/runtime/cgroup.cpp: hierarchy discovery and limit computations.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"

#include "engine/runtime/cgroup.h"

using namespace hako::runtime;

namespace {
// The hybrid layout of these machines: v1 controllers and a v2 `unified` mount.
const char* kHybrid =
    "25 1 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "27 25 0:24 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "28 25 0:25 / /sys/fs/cgroup/pids rw,relatime shared:9 - cgroup cgroup rw,pids\n"
    "29 25 0:26 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "30 25 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "31 27 0:24 / /mnt/again rw,relatime - cgroup cgroup rw,memory\n";
const char* kV2 = "30 1 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
}  // namespace

TEST_CASE("cgroup: mountinfo gives each hierarchy once with its controllers") {
    auto mounts = parse_cgroup_mounts(kHybrid);
    REQUIRE(mounts.size() == 5);
    CHECK(mounts[0].mountpoint == "/sys/fs/cgroup/cpu");
    CHECK(mounts[0].controllers == std::vector<std::string>{"cpu"});
    CHECK(mounts[3].controllers == std::vector<std::string>{"name=systemd"});
    CHECK(mounts[4].v2);
    CHECK(layout_of(mounts) == CgroupLayout::Hybrid);
    CHECK(layout_of(parse_cgroup_mounts(kV2)) == CgroupLayout::V2);
    mounts.pop_back();
    CHECK(layout_of(mounts) == CgroupLayout::V1);
}

TEST_CASE("cgroup: a container joins only the hierarchies hako uses") {
    auto mounts = parse_cgroup_mounts(kHybrid);
    CgroupMount cpuset{"/sys/fs/cgroup/cpuset", false, {"cpuset"}};
    CgroupMount net{"/sys/fs/cgroup/net_cls,net_prio", false, {"net_cls", "net_prio"}};
    CHECK(uses_hierarchy(mounts[0], CgroupLayout::Hybrid, false));   // cpu
    CHECK(uses_hierarchy(mounts[1], CgroupLayout::Hybrid, false));   // memory
    CHECK(uses_hierarchy(mounts[2], CgroupLayout::Hybrid, false));   // pids
    CHECK_FALSE(uses_hierarchy(mounts[3], CgroupLayout::Hybrid, false));  // name=systemd
    CHECK_FALSE(uses_hierarchy(mounts[4], CgroupLayout::Hybrid, false));  // unified (hugetlb only)
    CHECK_FALSE(uses_hierarchy(net, CgroupLayout::V1, false));
    CHECK_FALSE(uses_hierarchy(cpuset, CgroupLayout::V1, false));
    CHECK(uses_hierarchy(cpuset, CgroupLayout::V1, true));
    CHECK(uses_hierarchy(parse_cgroup_mounts(kV2)[0], CgroupLayout::V2, false));
}

TEST_CASE("cgroup: cpus become a CFS quota and cpu.max text") {
    CHECK(cpu_quota_for(1.5) == 150000);
    CHECK(cpu_quota_for(0.01) == 1000);
    CHECK(v2_cpu_max(150000, 100000) == "150000 100000");
    CHECK(v2_cpu_max(std::nullopt, std::nullopt) == "max 100000");
    CHECK(v2_cpu_max(-1, 50000) == "max 50000");
}

TEST_CASE("cgroup: OCI memory+swap becomes v2 memory.swap.max") {
    CHECK(v2_swap_max(64 << 20, 128 << 20) == std::to_string(64 << 20));
    CHECK(v2_swap_max(64 << 20, -1) == "max");
    CHECK(v2_swap_max(64 << 20, 64 << 20) == "0");
    CHECK_FALSE(v2_swap_max(64 << 20, std::nullopt).has_value());
}

TEST_CASE("cgroup: shares map to cpu.weight as runc maps them") {
    CHECK(v2_cpu_weight(2) == 1);
    CHECK(v2_cpu_weight(1024) == 39);
    CHECK(v2_cpu_weight(262144) == 10000);
}

TEST_CASE("cgroup: device rules become devices.deny/allow lines") {
    std::vector<DeviceRule> rules = {{false, "a", std::nullopt, std::nullopt, "rwm"},
                                     {true, "c", 1, 3, "rwm"},
                                     {true, "c", 136, std::nullopt, "rwm"},
                                     {true, "b", std::nullopt, std::nullopt, "m"}};
    auto writes = v1_device_writes(rules);
    REQUIRE(writes.size() == 4);
    CHECK(writes[0] == std::pair<std::string, std::string>{"devices.deny", "a"});
    CHECK(writes[1] == std::pair<std::string, std::string>{"devices.allow", "c 1:3 rwm"});
    CHECK(writes[2].second == "c 136:* rwm");
    CHECK(writes[3].second == "b *:* m");
}

namespace {
// Two writable files, a and b, in `dir`, opened as join files.
std::vector<hako::sys::UniqueFd> two_join_files(const std::filesystem::path& dir) {
    std::vector<hako::sys::UniqueFd> files;
    for (const char* name : {"a", "b"})
        files.emplace_back(::open((dir / name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    return files;
}
}  // namespace

TEST_CASE("cgroup: join_opened writes the pid to every opened file and names the one that fails") {
    auto dir = hako::sys::TempDir::create("/tmp", "hako-cgroup-join-");
    REQUIRE(dir.ok());
    auto files = two_join_files(dir->path());
    REQUIRE(files[0].valid());
    REQUIRE(files[1].valid());
    CHECK(Cgroup::join_opened(files, 4194304) == -1);
    CHECK(*hako::sys::read_file(dir->path() / "a", 64) == "4194304");
    CHECK(*hako::sys::read_file(dir->path() / "b", 64) == "4194304");
    // A file that cannot be written: its index comes back, with errno.
    files.emplace_back(::open((dir->path() / "a").c_str(), O_RDONLY | O_CLOEXEC));
    errno = 0;
    CHECK(Cgroup::join_opened(files, 12) == 2);
    CHECK(errno == EBADF);
}

TEST_CASE("cgroup: join_opened with pid 0 (the calling thread) writes 0 to every opened file and names the one that fails") {
    auto dir = hako::sys::TempDir::create("/tmp", "hako-cgroup-join-");
    REQUIRE(dir.ok());
    auto files = two_join_files(dir->path());
    REQUIRE(files[0].valid());
    REQUIRE(files[1].valid());
    CHECK(Cgroup::join_opened(files, 0) == -1);
    CHECK(*hako::sys::read_file(dir->path() / "a", 64) == "0");
    CHECK(*hako::sys::read_file(dir->path() / "b", 64) == "0");
    files.emplace_back(::open((dir->path() / "a").c_str(), O_RDONLY | O_CLOEXEC));
    errno = 0;
    CHECK(Cgroup::join_opened(files, 0) == 2);
    CHECK(errno == EBADF);
}
