// Tests engine/container/spare.cpp: a removed container's folder comes back to the
// next create emptied, exactly as a fresh one.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/container/retire.h"
#include "engine/container/retired_folder.h"
#include "engine/container/spare.h"
#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"

using namespace hako;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    sys::TempDir dir;
    container::ContainerStore store;
};

Fixture open_store() {
    auto dir = sys::TempDir::create("/tmp", "hako-spare-");
    REQUIRE(dir.ok());
    auto store = container::ContainerStore::open(dir->path() / "root");
    REQUIRE(store.ok());
    return Fixture{std::move(*dir), std::move(*store)};
}

container::ContainerRecord record_of(char id_letter, const std::string& name) {
    container::ContainerRecord record;
    record.id = std::string(64, id_letter);
    record.name = name;
    return record;
}

size_t count(const fs::path& folder) {
    std::error_code ec;
    size_t n = 0;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
    return n;
}

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("spare folders: a removed folder is emptied and taken by the next create, as a fresh one") {
    auto fx = open_store();
    auto first = record_of('a', "first");
    REQUIRE(fx.store.create(first).ok());
    fs::path d = fx.store.dir(first.id);
    // What a run leaves: the container's writes, overlay's work, logs, name files, state.
    write(d / "upper" / "etc" / "hosts", "");
    write(d / "upper" / "data" / "file", "x");
    write(d / "work" / "work" / "incompat" / "volatile" / "dirty", "");
    write(d / "hosts", "127.0.0.1 localhost\n");
    write(d / "hostname", "first\n");
    write(d / (first.id + "-json.log"), "{}\n");
    write(d / (first.id + "-json.log.1"), "{}\n");
    write(d / "config.json", "{}\n");
    REQUIRE(fx.store.write_state(first.id, container::ContainerState{}).ok());
    // A container that chmods and chowns "/" and sets an attribute on it.
    REQUIRE(::chmod((d / "upper").c_str(), 0700) == 0);
    REQUIRE(::chown((d / "upper").c_str(), 1000, 1000) == 0);
    bool have_xattr = ::setxattr((d / "upper").c_str(), "user.mark", "1", 1, 0) == 0;
    struct stat before {};
    REQUIRE(::stat(d.c_str(), &before) == 0);

    REQUIRE(fx.store.remove_files(first.id).ok());
    CHECK_FALSE(fs::exists(d));
    CHECK(fs::is_empty(fx.store.root().tmp_dir()));
    CHECK(count(fx.store.root().spare_dir()) == 1);

    auto second = record_of('b', "second");
    REQUIRE(fx.store.create(second).ok());
    fs::path e = fx.store.dir(second.id);
    struct stat after {};
    REQUIRE(::stat(e.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);  // the same folder, taken from the pool
    CHECK(count(fx.store.root().spare_dir()) == 0);
    CHECK(count(e / "rootfs") == 0);
    CHECK(count(e / "upper") == 0);
    CHECK(count(e / "work") == 0);
    // The name files stay for the next start to write over (net::prepare).
    auto hosts = sys::read_file(e / "hosts", 4096);
    REQUIRE(hosts.ok());
    CHECK(*hosts == "127.0.0.1 localhost\n");
    CHECK_FALSE(fs::exists(e / "config.json"));
    CHECK_FALSE(fs::exists(e / "state.json"));
    CHECK_FALSE(fs::exists(e / (first.id + "-json.log")));
    CHECK_FALSE(fs::exists(e / (first.id + "-json.log.1")));
    // The records and the emptied log wait as spares for the first write of each;
    // the create wrote its record over the record's spare.
    CHECK(fs::exists(e / ".state.json.spare"));
    CHECK(fs::exists(e / ".config.json.spare"));
    CHECK(fs::exists(e / HAKO_LOG_SPARE));
    CHECK(fs::file_size(e / HAKO_LOG_SPARE) == 0);
    CHECK_FALSE(fs::exists(e / ".container.json.spare"));
    struct stat upper {};
    REQUIRE(::stat((e / "upper").c_str(), &upper) == 0);
    CHECK((upper.st_mode & 07777) == 0755);
    CHECK(upper.st_uid == 0);
    CHECK(upper.st_gid == 0);
    if (have_xattr) CHECK(::getxattr((e / "upper").c_str(), "user.mark", nullptr, 0) < 0);
    CHECK(fx.store.read(second.id)->name == "second");
    // No state file before the first start: the container reads as created.
    auto state = fx.store.read_state(second.id);
    REQUIRE(state.ok());
    CHECK(state->status == "created");
    CHECK_FALSE(fx.store.read_state(std::string(64, 'c')).ok());  // no such container

    // With the pool empty, the next create makes a fresh folder.
    auto third = record_of('c', "third");
    REQUIRE(fx.store.create(third).ok());
    CHECK(fs::is_directory(fx.store.dir(third.id) / "upper"));
}

TEST_CASE("spare folders: a folder whose rootfs cannot be reused is removed, not kept") {
    auto fx = open_store();
    auto record = record_of('d', "odd");
    REQUIRE(fx.store.create(record).ok());
    fs::path d = fx.store.dir(record.id);
    fs::remove(d / "rootfs");
    write(d / "rootfs", "not a folder");
    REQUIRE(fx.store.remove_files(record.id).ok());
    CHECK_FALSE(fs::exists(d));
    CHECK(count(fx.store.root().spare_dir()) == 0);
    CHECK(fs::is_empty(fx.store.root().tmp_dir()));
}

TEST_CASE("spare folders: the pool holds at most kMaxSpareFolders") {
    auto fx = open_store();
    for (int i = 0; i < container::kMaxSpareFolders + 2; ++i) {
        auto record = record_of('e', "many");
        record.id = std::string(60, 'e') + std::to_string(1000 + i);
        REQUIRE(fs::create_directories(fx.store.dir(record.id) / "rootfs"));
        fs::create_directories(fx.store.dir(record.id) / "upper");
        fs::create_directories(fx.store.dir(record.id) / "work");
        REQUIRE(fx.store.remove_files(record.id).ok());
    }
    CHECK(count(fx.store.root().spare_dir()) == size_t(container::kMaxSpareFolders));
    CHECK(count(fx.store.containers_dir()) == 0);
}

TEST_CASE("spare folders: only ROOT/tmp/deleted-container-… is disposed of, whatever spells the root") {
    auto fx = open_store();
    const fs::path root = fx.store.root().path();
    // Something that is no retired folder is left alone, and said so.
    fs::path elsewhere = fx.dir.path() / "keep";
    write(elsewhere / "file", "x");
    CHECK(hako_dispose_retired(root.c_str(), elsewhere.c_str()) == -1);
    fs::path no_prefix = fx.store.root().tmp_dir() / "keep";
    write(no_prefix / "file", "x");
    CHECK(hako_dispose_retired(root.c_str(), no_prefix.c_str()) == -1);
    fs::path below = fx.store.root().tmp_dir() / (std::string(container::kRetiredPrefix) + "x") / "sub";
    write(below / "file", "x");
    CHECK(hako_dispose_retired(root.c_str(), below.c_str()) == -1);
    fs::path bare = fx.store.root().tmp_dir() / container::kRetiredPrefix;
    CHECK(hako_dispose_retired(root.c_str(), bare.c_str()) == -1);
    CHECK_FALSE(container::dispose_retired(fx.store.root(), elsewhere).ok());
    CHECK(fs::exists(elsewhere / "file"));
    CHECK(fs::exists(no_prefix / "file"));
    CHECK(fs::exists(below / "file"));

    // A root spelled with a trailing slash names the same folders; a missing
    // retired folder is nothing to do.
    auto record = record_of('f', "slash");
    REQUIRE(fx.store.create(record).ok());
    auto retired = container::retire_files(fx.store, record.id);
    REQUIRE(retired.ok());
    std::string slashed = root.string() + "/";
    CHECK(hako_dispose_retired(slashed.c_str(), retired->c_str()) == 0);
    CHECK_FALSE(fs::exists(*retired));
    CHECK(count(fx.store.root().spare_dir()) == 1);
    CHECK(hako_dispose_retired(root.c_str(), retired->c_str()) == 0);
}
