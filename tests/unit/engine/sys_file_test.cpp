// Tests engine/sys/file.cpp: read_file reads files of any size, /proc's and pipes
// whole and keeps its limit; write_file_atomic replaces a file whole, Volatile by
// exchange (no temp file left), and refuses a folder at the target as rename does.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

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

TEST_CASE("read_file: empty, small and large files whole; the limit holds") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-file-");
    REQUIRE(tmp.ok());
    fs::path empty = tmp->path() / "empty", small = tmp->path() / "small", large = tmp->path() / "large";
    std::ofstream(empty).close();
    std::ofstream(small) << "abc";
    std::string big;
    for (int i = 0; big.size() < 300000; ++i) big += std::to_string(i) + ",";
    std::ofstream(large) << big;
    CHECK(sys::read_file(empty).value().empty());
    CHECK(sys::read_file(small).value() == "abc");
    CHECK(sys::read_file(large).value() == big);
    CHECK(sys::read_file(large, big.size()).value() == big);
    auto over = sys::read_file(large, big.size() - 1);
    REQUIRE(!over.ok());
    CHECK(over.error().message.find("larger than the limit") != std::string::npos);
    CHECK(!sys::read_file(tmp->path() / "missing").ok());
    CHECK(sys::read_file(tmp->path()).error().errno_value == EISDIR);
}

TEST_CASE("read_file: /proc's files (size 0, short reads) and pipes are read to their end") {
    // /proc's files say 0 bytes; /proc/kallsyms (megabytes) reads in pieces.
    auto maps = sys::read_file("/proc/self/maps");
    REQUIRE(maps.ok());
    CHECK(maps->find("[stack]") != std::string::npos);
    CHECK(maps->back() == '\n');
    std::string expected;
    {
        std::ifstream in("/proc/kallsyms");
        expected.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(expected.size() > 65536);
    CHECK(sys::read_file("/proc/kallsyms").value() == expected);
    // A pipe with more than one read's worth of bytes in it.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string text(20000, 'x');
    REQUIRE(::write(fds[1], text.data(), text.size()) == ssize_t(text.size()));
    ::close(fds[1]);
    auto piped = sys::read_file("/proc/self/fd/" + std::to_string(fds[0]));
    ::close(fds[0]);
    CHECK(piped.value() == text);
}

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

TEST_CASE("write_file_atomic: Volatile writes over a spare '.NAME.spare', cut to size, with the mode asked") {
    auto tmp = sys::TempDir::create(fs::temp_directory_path(), "hako-file-");
    REQUIRE(tmp.ok());
    fs::path file = tmp->path() / "state.json";
    fs::path spare = tmp->path() / ".state.json.spare";
    REQUIRE(sys::write_file_atomic(spare, "an older and much longer record of another container\n", 0644).ok());
    struct stat before {};
    REQUIRE(::stat(spare.c_str(), &before) == 0);

    REQUIRE(sys::write_file_atomic(file, "{\"new\":1}\n", 0600, sys::Durability::Volatile).ok());
    CHECK(*sys::read_file(file) == "{\"new\":1}\n");
    struct stat after {};
    REQUIRE(::stat(file.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);  // the spare's inode, not a new one
    CHECK((after.st_mode & 07777) == 0600);
    CHECK_FALSE(fs::exists(spare));
    CHECK(entries(tmp->path()) == 1);

    // No spare left: a new file again, and a Durable write never takes one.
    REQUIRE(sys::write_file_atomic(spare, "spare\n", 0600).ok());
    fs::path record = tmp->path() / "container.json";
    REQUIRE(sys::write_file_atomic(tmp->path() / ".container.json.spare", "x\n", 0600).ok());
    REQUIRE(sys::write_file_atomic(record, "durable\n", 0600, sys::Durability::Durable).ok());
    CHECK(fs::exists(tmp->path() / ".container.json.spare"));
    CHECK(*sys::read_file(record) == "durable\n");
}
