// Tests for engine/container/copy_tar (the streams under container cp) and the pure
// parts of top and prune: confinement of names, symlinks and hardlinks, and parsing.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "engine/container/copy_tar.h"
#include "engine/container/prune.h"
#include "engine/container/top.h"
#include "engine/sys/fd.h"
#include "engine/sys/tempdir.h"
#include "tests/unit/engine/test_tar.h"

using namespace hako;
using hako::test::TestTar;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

sys::UniqueFd open_dir(const fs::path& p) { return sys::UniqueFd(::open(p.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)); }

Result<void> extract(TestTar& tar, const fs::path& scratch, const fs::path& dest) {
    sys::UniqueFd in = tar.open_at(scratch);
    sys::UniqueFd dir = open_dir(dest);
    auto sink = TRY(container::make_disk_sink(dir.get(), {}));
    return container::read_tar(in.get(), *sink);
}

}  // namespace

TEST_CASE("copy: a tree walked into a disk sink comes out the same, symlinks as symlinks") {
    auto tmp = sys::TempDir::create("/tmp", "hako-copy-").value();
    fs::create_directories(tmp.path() / "src/sub");
    std::ofstream(tmp.path() / "src/a.txt") << "hello";
    std::ofstream(tmp.path() / "src/sub/b") << "deep";
    ::chmod((tmp.path() / "src/sub/b").c_str(), 0751);
    fs::create_symlink("/etc", tmp.path() / "src/link");
    fs::create_hard_link(tmp.path() / "src/a.txt", tmp.path() / "src/sub/hard");
    fs::create_directories(tmp.path() / "dst");
    sys::UniqueFd node(::open((tmp.path() / "src").c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    sys::UniqueFd dst = open_dir(tmp.path() / "dst");
    auto sink = container::make_disk_sink(dst.get(), {});
    REQUIRE(sink.ok());
    REQUIRE(container::walk_tree(node.get(), "copy", **sink).ok());
    CHECK(slurp(tmp.path() / "dst/copy/a.txt") == "hello");
    CHECK(slurp(tmp.path() / "dst/copy/sub/b") == "deep");
    CHECK((fs::status(tmp.path() / "dst/copy/sub/b").permissions() & fs::perms::all) == fs::perms(0751));
    CHECK(fs::is_symlink(tmp.path() / "dst/copy/link"));
    CHECK(fs::read_symlink(tmp.path() / "dst/copy/link") == "/etc");
    CHECK(fs::equivalent(tmp.path() / "dst/copy/a.txt", tmp.path() / "dst/copy/sub/hard"));

    // An empty top name copies the contents only.
    fs::create_directories(tmp.path() / "flat");
    sys::UniqueFd flat = open_dir(tmp.path() / "flat");
    auto flat_sink = container::make_disk_sink(flat.get(), {});
    REQUIRE(container::walk_tree(node.get(), "", **flat_sink).ok());
    CHECK(slurp(tmp.path() / "flat/sub/b") == "deep");
}

TEST_CASE("copy: the disk sink refuses names that climb out and writes through symlinks that leave") {
    auto tmp = sys::TempDir::create("/tmp", "hako-copy-").value();
    fs::create_directories(tmp.path() / "dst");
    fs::create_directories(tmp.path() / "outside");

    TestTar climb;
    climb.file("../outside/x", "evil");
    auto r1 = extract(climb, tmp.path() / "1.tar", tmp.path() / "dst");
    REQUIRE_FALSE(r1.ok());
    CHECK(r1.error().message.find("climbs out") != std::string::npos);

    TestTar through;
    through.symlink("l", (tmp.path() / "outside").string()).file("l/x", "evil");
    CHECK_FALSE(extract(through, tmp.path() / "2.tar", tmp.path() / "dst").ok());

    TestTar relative;
    relative.symlink("r", "../outside").file("r/y", "evil");
    CHECK_FALSE(extract(relative, tmp.path() / "3.tar", tmp.path() / "dst").ok());

    TestTar hard;
    hard.hardlink("h", "../outside/z");
    CHECK_FALSE(extract(hard, tmp.path() / "4.tar", tmp.path() / "dst").ok());

    // An entry replaces a symlink in its place rather than writing through it.
    std::ofstream(tmp.path() / "outside/target") << "keep";
    fs::create_symlink(tmp.path() / "outside/target", tmp.path() / "dst/over");
    TestTar replace;
    replace.file("over", "new");
    REQUIRE(extract(replace, tmp.path() / "5.tar", tmp.path() / "dst").ok());
    CHECK(slurp(tmp.path() / "outside/target") == "keep");
    CHECK_FALSE(fs::is_symlink(tmp.path() / "dst/over"));
    CHECK(slurp(tmp.path() / "dst/over") == "new");
    CHECK(fs::is_empty(tmp.path() / "outside") == false);
    CHECK_FALSE(fs::exists(tmp.path() / "outside/x"));
    CHECK_FALSE(fs::exists(tmp.path() / "outside/y"));
}

TEST_CASE("top: ps output is cut as docker does, keeping the container's pids and whole commands") {
    std::string ps = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                     "root           1       0  0 10:00 ?        00:00:01 /sbin/init splash\n"
                     "root         120       1  0 10:01 ?        00:00:00 sleep 1000 now\n"
                     "root         121       1  0 10:01 ?        00:00:00 sh\n";
    auto table = container::filter_ps_output(ps, {120});
    REQUIRE(table.ok());
    CHECK(table->titles == std::vector<std::string>{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"});
    REQUIRE(table->processes.size() == 1);
    CHECK(table->processes[0][1] == "120");
    CHECK(table->processes[0].back() == "sleep 1000 now");
    CHECK_FALSE(container::filter_ps_output("USER COMMAND\nroot x\n", {1}).ok());
}

TEST_CASE("prune: filters until= (duration or time) and label=/label!=") {
    time_t now = 1700000000;
    auto f = container::parse_prune_filters({"until=1h30m", "label=keep", "label!=env=prod"}, now);
    REQUIRE(f.ok());
    REQUIRE(f->until.has_value());
    CHECK(*f->until == now - 5400);
    container::ContainerRecord r;
    r.created = "2023-11-14T20:00:00.000000000Z";  // before now - 1h30m
    r.labels = {{"keep", "1"}};
    CHECK(container::matches(*f, r));
    r.labels["env"] = "prod";
    CHECK_FALSE(container::matches(*f, r));
    r.labels.erase("keep");
    r.labels.erase("env");
    CHECK_FALSE(container::matches(*f, r));
    auto at = container::parse_prune_filters({"until=2023-11-14T00:00:00Z"}, now);
    REQUIRE(at.ok());
    CHECK_FALSE(container::matches(*at, r));  // created after the given time
    CHECK(container::parse_prune_filters({"until=2023-11-15"}, now).ok());
    CHECK(container::parse_prune_filters({"until=bogus"}, now).error().exit_code == ExitCode::Usage);
    CHECK(container::parse_prune_filters({"name=x"}, now).error().exit_code == ExitCode::Usage);
    CHECK_FALSE(container::parse_prune_filters({"label"}, now).ok());
}
