// Tests for engine/sys/safe_path: lexical confinement and openat2-based resolution.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/sys/safe_path.h"
#include "engine/sys/tempdir.h"

using namespace hako;

TEST_CASE("safe_path: split_confined drops leading slashes and dots and refuses climbing out") {
    CHECK(sys::split_confined("/a/./b//c").value() == std::vector<std::string>{"a", "b", "c"});
    CHECK(sys::split_confined("a/../b").value() == std::vector<std::string>{"b"});
    CHECK(sys::split_confined("./").value().empty());
    CHECK_FALSE(sys::split_confined("../etc/passwd").ok());
    CHECK_FALSE(sys::split_confined("a/../../b").ok());
    CHECK_FALSE(sys::split_confined("/..").ok());
}

TEST_CASE("safe_path: Beneath refuses symlinks out of the root, InRoot clamps them") {
    auto dir = sys::TempDir::create("/tmp", "hako-safepath-");
    REQUIRE(dir.ok());
    auto root = dir->path() / "root";
    auto outside = dir->path() / "outside";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    REQUIRE(::mkdir(outside.c_str(), 0755) == 0);
    REQUIRE(::mkdir((root / "etc").c_str(), 0755) == 0);
    REQUIRE(::symlink(outside.c_str(), (root / "abs").c_str()) == 0);
    REQUIRE(::symlink("../outside", (root / "rel").c_str()) == 0);
    REQUIRE(::symlink("/etc", (root / "etc-link").c_str()) == 0);
    sys::UniqueFd rfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(rfd);

    auto abs = sys::open_confined(rfd.get(), "abs", O_PATH | O_DIRECTORY, 0, sys::Resolve::Beneath);
    REQUIRE_FALSE(abs.ok());
    CHECK(abs.error().message.find("escapes") != std::string::npos);
    CHECK_FALSE(sys::open_confined(rfd.get(), "rel", O_PATH | O_DIRECTORY, 0, sys::Resolve::Beneath).ok());
    CHECK_FALSE(sys::open_confined(rfd.get(), "../outside", O_PATH, 0, sys::Resolve::Beneath).ok());
    CHECK(sys::open_confined(rfd.get(), "etc", O_PATH | O_DIRECTORY, 0, sys::Resolve::Beneath).ok());

    // InRoot: /etc inside the root, not the host's /etc.
    auto in_root = sys::open_confined(rfd.get(), "etc-link", O_PATH | O_DIRECTORY, 0, sys::Resolve::InRoot);
    REQUIRE(in_root.ok());
    struct stat a {}, b {};
    REQUIRE(::fstat(in_root->get(), &a) == 0);
    REQUIRE(::stat((root / "etc").c_str(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);
}

TEST_CASE("safe_path: mkdir_all_beneath creates missing folders but not through escaping links") {
    auto dir = sys::TempDir::create("/tmp", "hako-safepath-");
    REQUIRE(dir.ok());
    auto root = dir->path() / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    REQUIRE(::symlink("/tmp", (root / "out").c_str()) == 0);
    sys::UniqueFd rfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    std::vector<std::string> made{"a", "b", "c"};
    REQUIRE(sys::mkdir_all_beneath(rfd.get(), made, 3).ok());
    struct stat st {};
    CHECK(::stat((root / "a/b/c").c_str(), &st) == 0);
    std::vector<std::string> escape{"out", "hako-should-not-exist"};
    CHECK_FALSE(sys::mkdir_all_beneath(rfd.get(), escape, 2).ok());
    CHECK(::stat("/tmp/hako-should-not-exist", &st) != 0);
}
