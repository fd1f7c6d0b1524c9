// Tests for engine/container/stats.cpp and engine/container/pause.cpp's pure
// parts: figures read from v1 and v2 cgroup files, docker's percentages and
// sizes, and which freezer a cgroup uses.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "engine/container/pause.h"
#include "engine/container/stats.h"
#include "engine/sys/tempdir.h"

using namespace hako;
using namespace hako::container;

namespace {

void write(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

const char* kProcStat = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n";
const char* kNetDev =
    "Inter-|   Receive                            |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets\n"
    "    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0\n"
    "  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0\n";

}  // namespace

TEST_CASE("stats: cgroup v1 files (cpuacct, memory without inactive file cache, pids, blkio)") {
    auto dir = sys::TempDir::create(std::filesystem::temp_directory_path(), "hako-stats-").value();
    auto cpu = dir.path() / "cpuacct/hako/x", memory = dir.path() / "memory/hako/x", pids = dir.path() / "pids/hako/x",
         blkio = dir.path() / "blkio/hako/x";
    write(cpu / "cpuacct.usage", "5000000000\n");
    write(memory / "memory.usage_in_bytes", "10485760\n");
    write(memory / "memory.stat", "cache 100\ntotal_inactive_file 2097152\n");
    write(memory / "memory.limit_in_bytes", "9223372036854771712\n");
    write(pids / "pids.current", "3\n");
    write(blkio / "blkio.throttle.io_service_bytes", "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\nTotal 12288\n");
    auto stats = stats_from({cpu, memory, pids, blkio}, kProcStat, 1 << 30, kNetDev);
    CHECK(stats.cpu_usage_ns == 5000000000u);
    CHECK(stats.online_cpus == 2);
    CHECK(stats.memory_usage == 8388608u);
    CHECK(stats.memory_limit == (1u << 30));  // no limit: the host's memory
    CHECK(stats.pids == 3);
    CHECK(stats.block_read == 4096);
    CHECK(stats.block_write == 8192);
    CHECK(stats.net_rx == 1000);
    CHECK(stats.net_tx == 2000);
}

TEST_CASE("stats: cgroup v2 files (cpu.stat, memory.current/max, io.stat)") {
    auto dir = sys::TempDir::create(std::filesystem::temp_directory_path(), "hako-stats-").value();
    auto group = dir.path() / "hako/x";
    write(group / "cpu.stat", "usage_usec 1500\nuser_usec 1000\n");
    write(group / "memory.current", "4194304\n");
    write(group / "memory.stat", "anon 1\ninactive_file 1048576\n");
    write(group / "memory.max", "67108864\n");
    write(group / "pids.current", "1\n");
    write(group / "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n");
    auto stats = stats_from({group}, kProcStat, 1 << 30, "");
    CHECK(stats.cpu_usage_ns == 1500000u);
    CHECK(stats.memory_usage == 3145728u);
    CHECK(stats.memory_limit == 67108864u);
    CHECK(stats.block_read == 101);
    CHECK(stats.block_write == 202);
    CHECK(memory_percent(stats) == Approx(4.6875));
}

TEST_CASE("stats: docker's CPU percentage and sizes") {
    ContainerStats before, after;
    before.cpu_usage_ns = 0;
    before.system_cpu_ns = 0;
    after.cpu_usage_ns = 500;
    after.system_cpu_ns = 2000;
    after.online_cpus = 2;
    CHECK(cpu_percent(before, after) == Approx(50.0));
    CHECK(cpu_percent(after, before) == 0.0);
    CHECK(human_size(0, false) == "0B");
    CHECK(human_size(1500, false) == "1.5kB");
    CHECK(human_size(1048576, true) == "1MiB");
    CHECK(human_size(1572864, true) == "1.5MiB");
    CHECK(human_size(123456789, false) == "123MB");
}

TEST_CASE("pause: a v1 freezer folder wins over v2's cgroup.freeze; none is an error") {
    auto dir = sys::TempDir::create(std::filesystem::temp_directory_path(), "hako-freezer-").value();
    auto v1 = dir.path() / "freezer/hako/x", v2 = dir.path() / "unified/hako/x", other = dir.path() / "cpu/hako/x";
    write(v2 / "cgroup.freeze", "0\n");
    write(other / "cpu.shares", "1024\n");
    auto found = find_freezer({other, v2});
    REQUIRE(found.ok());
    CHECK(found->kind == Freezer::Kind::V2);
    CHECK(found->dir == v2);
    write(v1 / "freezer.state", "THAWED\n");
    found = find_freezer({other, v2, v1});
    REQUIRE(found.ok());
    CHECK(found->kind == Freezer::Kind::V1);
    CHECK_FALSE(find_freezer({other}).ok());
}
