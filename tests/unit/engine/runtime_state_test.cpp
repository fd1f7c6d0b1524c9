// Tests engine/runtime/state.cpp: the state record as one file STATE_ROOT/ID, the
// folder layout before it (still read), a record being created, the exec fifo's name.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "engine/runtime/state.h"
#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"

namespace fs = std::filesystem;
using namespace hako;
using namespace hako::runtime;

namespace {

State sample_state() {
    State s;
    s.id = "c1";
    s.pid = 4242;
    s.pid_start_time = 77;
    s.bundle = "/bundles/c1";
    s.cgroup_path = "/hako/c1";
    s.created = "2026-11-28T12:00:00.000000000Z";
    s.annotations = {{"k", "v"}};
    return s;
}

void check_same(const State& got, const State& want) {
    CHECK(got.id == want.id);
    CHECK(got.pid == want.pid);
    CHECK(got.pid_start_time == want.pid_start_time);
    CHECK(got.bundle == want.bundle);
    CHECK(got.cgroup_path == want.cgroup_path);
    CHECK(got.created == want.created);
    CHECK(got.annotations == want.annotations);
    CHECK(got.has_hooks == want.has_hooks);
}

}  // namespace

TEST_CASE("runtime state: the record is the file STATE_ROOT/ID, written atomically or into a reserved fd") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-rtstate-");
    REQUIRE(tmp.ok());
    fs::path record = tmp->path() / "c1";

    REQUIRE(write_state(record, sample_state()).ok());
    CHECK(fs::is_regular_file(record));
    auto read = read_state(record);
    REQUIRE(read.ok());
    check_same(*read, sample_state());

    fs::path reserved = tmp->path() / "c2";
    int fd = ::open(reserved.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    auto empty = read_state(reserved);
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().errno_value == ENOENT);  // being created reads as missing
    State second = sample_state();
    second.id = "c2";
    second.has_hooks = false;  // a teardown then skips the spec
    REQUIRE(write_state(fd, reserved, second).ok());
    ::close(fd);
    auto read_second = read_state(reserved);
    REQUIRE(read_second.ok());
    check_same(*read_second, second);
}

TEST_CASE("runtime state: a folder STATE_ROOT/ID with state.json (the older layout) is still read") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-rtstate-");
    REQUIRE(tmp.ok());
    fs::path folder = tmp->path() / "c1";  // the record's own id, as every record has
    fs::create_directory(folder);
    REQUIRE(write_state(folder / "state.json", sample_state()).ok());
    auto read = read_state(folder);
    REQUIRE(read.ok());
    check_same(*read, sample_state());

    auto missing = read_state(tmp->path() / "none");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().errno_value == ENOENT);
}

TEST_CASE("runtime state: a released record is the next reservation's spare, read as being created until written") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-rtstate-");
    REQUIRE(tmp.ok());
    fs::path first = tmp->path() / "c1";
    auto fd = reserve_state_file(first);
    REQUIRE(fd.ok());
    REQUIRE(write_state(fd->get(), first, sample_state()).ok());
    struct stat made {};
    REQUIRE(::stat(first.c_str(), &made) == 0);
    CHECK_FALSE(reserve_state_file(first).ok());  // the id is taken
    CHECK(reserve_state_file(first).error().errno_value == EEXIST);

    REQUIRE(release_state_file(first).ok());
    CHECK_FALSE(fs::exists(first));
    CHECK(fs::exists(tmp->path() / ".spare"));
    CHECK(release_state_file(first).ok());  // already gone: nothing to do

    fs::path second = tmp->path() / "c2-with-a-longer-id";
    auto reused = reserve_state_file(second);
    REQUIRE(reused.ok());
    struct stat taken {};
    REQUIRE(::stat(second.c_str(), &taken) == 0);
    CHECK(taken.st_ino == made.st_ino);  // the spare's inode
    CHECK_FALSE(fs::exists(tmp->path() / ".spare"));
    auto pending = read_state(second);  // c1's record under c2's name: a create under way
    REQUIRE_FALSE(pending.ok());
    CHECK(pending.error().errno_value == ENOENT);
    State s = sample_state();
    s.id = "c2-with-a-longer-id";
    s.annotations.clear();  // shorter than c1's record: cut to size
    REQUIRE(write_state(reused->get(), second, s).ok());
    auto read = read_state(second);
    REQUIRE(read.ok());
    check_same(*read, s);

    // A spare kept already: the next released record goes.
    REQUIRE(write_state(tmp->path() / "c3", sample_state()).ok());
    REQUIRE(release_state_file(tmp->path() / "c3").ok());
    REQUIRE(release_state_file(second).ok());
    CHECK_FALSE(fs::exists(second));
    size_t left = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(tmp->path())) ++left;
    CHECK(left == 1);
}

TEST_CASE("runtime state: the exec fifo is hidden beside the record") {
    CHECK(exec_fifo_path("/run/hako/runtime/abc") == fs::path("/run/hako/runtime/.abc.fifo"));
    // Created while the fifo exists (the init alive), running once start() removed it.
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-rtstate-");
    REQUIRE(tmp.ok());
    State self = sample_state();
    self.pid = getpid();
    self.pid_start_time = process_start_time(self.pid);
    fs::path record = tmp->path() / "c1";
    CHECK(observe_status(self, record) == Status::Running);
    REQUIRE(::mkfifo(exec_fifo_path(record).c_str(), 0600) == 0);
    CHECK(observe_status(self, record) == Status::Created);
    self.pid_start_time += 1;  // another process under a reused pid
    CHECK(observe_status(self, record) == Status::Stopped);
}

TEST_CASE("runtime state: a record without the hooks field (an older hako's) counts as having hooks") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-rtstate-");
    REQUIRE(tmp.ok());
    fs::path record = tmp->path() / "c3";
    REQUIRE(sys::write_file_atomic(record,
                                   R"({"id": "c3", "pid": 1, "pidStartTime": 2, "bundle": "/b", "cgroupPath": "/hako/c3"})",
                                   0600, sys::Durability::Volatile)
                .ok());
    auto read = read_state(record);
    REQUIRE(read.ok());
    CHECK(read->has_hooks);
}
