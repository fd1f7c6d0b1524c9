// Tests engine/sys/file.cpp: write_file_atomic replaces a file whole, Volatile by
// exchange (no temp file left), and refuses a folder at the target as rename does.
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"

namespace fs = std::filesystem;
using namespace hako;

namespace {

size_t entries(const fs::path& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
}

}  // namespace

TEST_CASE("write_file_atomic: Volatile creates, then replaces, leaving no temp file") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-file-");
    REQUIRE(tmp.ok());
    fs::path file = tmp->path() / "state.json";
    REQUIRE(sys::write_file_atomic(file, "first\n", 0600, sys::Durability::Volatile).ok());
    CHECK(*sys::read_file(file) == "first\n");
    REQUIRE(sys::write_file_atomic(file, "second, longer\n", 0600, sys::Durability::Volatile).ok());
    CHECK(*sys::read_file(file) == "second, longer\n");
    REQUIRE(sys::write_file_atomic(file, "3\n", 0600, sys::Durability::Volatile).ok());
    CHECK(*sys::read_file(file) == "3\n");
    CHECK((fs::status(file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(entries(tmp->path()) == 1);
    REQUIRE(sys::write_file_atomic(file, "durable\n", 0600, sys::Durability::Durable).ok());
    CHECK(*sys::read_file(file) == "durable\n");
    CHECK(entries(tmp->path()) == 1);
}

TEST_CASE("write_file_atomic: a folder at the target stays and the write fails") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-file-");
    REQUIRE(tmp.ok());
    fs::path folder = tmp->path() / "taken";
    fs::create_directory(folder);
    fs::create_directory(folder / "inside");
    for (auto durability : {sys::Durability::Volatile, sys::Durability::Durable}) {
        CHECK_FALSE(sys::write_file_atomic(folder, "x", 0600, durability).ok());
        CHECK(fs::is_directory(folder / "inside"));
        CHECK(entries(tmp->path()) == 1);
    }
}
