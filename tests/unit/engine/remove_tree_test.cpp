// Tests engine/sys/remove_tree.cpp: a recursive delete that never follows links.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/sys/remove_tree.h"
#include "engine/sys/tempdir.h"

using namespace hako;
namespace fs = std::filesystem;

TEST_CASE("remove_tree: removes nested folders, files, fifos and links, not what links point to") {
    auto dir = sys::TempDir::create("/tmp", "hako-rmtree-");
    REQUIRE(dir.ok());
    fs::path tree = dir->path() / "tree";
    fs::path outside = dir->path() / "outside";
    fs::create_directories(tree / "a" / "b" / "c");
    fs::create_directories(outside);
    std::ofstream(outside / "keep") << "keep";
    std::ofstream(tree / "a" / "b" / "c" / "file") << "x";
    std::ofstream(tree / "top") << "y";
    REQUIRE(::mkfifo((tree / "a" / "fifo").c_str(), 0600) == 0);
    fs::create_directory_symlink(outside, tree / "a" / "link-to-outside");
    fs::create_symlink("/nonexistent", tree / "dangling");

    auto removed = sys::remove_tree(tree);
    REQUIRE(removed.ok());
    CHECK_FALSE(fs::exists(fs::symlink_status(tree)));
    CHECK(fs::exists(outside / "keep"));
}

TEST_CASE("remove_tree: a missing path is no error, a file is removed, '..' is refused") {
    auto dir = sys::TempDir::create("/tmp", "hako-rmtree-");
    REQUIRE(dir.ok());
    CHECK(sys::remove_tree(dir->path() / "missing").ok());
    CHECK(sys::remove_tree(dir->path() / "missing" / "deeper").ok());
    std::ofstream(dir->path() / "file") << "z";
    CHECK(sys::remove_tree(dir->path() / "file").ok());
    CHECK_FALSE(fs::exists(dir->path() / "file"));
    CHECK_FALSE(sys::remove_tree(dir->path() / "..").ok());
}

TEST_CASE("remove_tree: a folder with more entries than one getdents64 buffer holds goes entirely") {
    auto dir = sys::TempDir::create("/tmp", "hako-rmtree-");
    REQUIRE(dir.ok());
    fs::path tree = dir->path() / "wide";
    fs::create_directories(tree);
    for (int i = 0; i < 1500; ++i) std::ofstream(tree / ("entry-with-a-long-name-" + std::to_string(i))) << i;
    REQUIRE(sys::remove_tree(tree).ok());
    CHECK_FALSE(fs::exists(tree));
}

TEST_CASE("remove_tree: a tree deeper than the levels read on the stack goes entirely, wide levels too") {
    auto dir = sys::TempDir::create("/tmp", "hako-rmtree-");
    REQUIRE(dir.ok());
    // 100 levels: the first 32 read their entries into a buffer on the stack, the
    // deeper ones into a malloc'd one (engine/sys/tree_removal.c); a level with
    // more entries than one buffer holds at each kind.
    int top = ::open(dir->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(top >= 0);
    REQUIRE(::mkdirat(top, "deep", 0700) == 0);
    int level = ::openat(top, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(top);
    for (int depth = 1; depth <= 100 && level >= 0; ++depth) {
        if (depth == 10 || depth == 60)
            for (int i = 0; i < 300; ++i) {
                int file = ::openat(level, ("entry-with-a-long-name-" + std::to_string(i)).c_str(),
                                    O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                REQUIRE(file >= 0);
                ::close(file);
            }
        REQUIRE(::mkdirat(level, "d", 0700) == 0);
        int next = ::openat(level, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ::close(level);
        level = next;
    }
    REQUIRE(level >= 0);
    ::close(level);
    REQUIRE(sys::remove_tree(dir->path() / "deep").ok());
    CHECK_FALSE(fs::exists(dir->path() / "deep"));
}
