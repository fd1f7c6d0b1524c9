// Tests ContainerStore::create's name check (engine/container/container_store.cpp):
// a name in use is refused, and the check sees a rename or a removal made after an
// earlier create of the same process (its cache of parsed records).
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/container/container_store.h"
#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"

using namespace hako;
namespace fs = std::filesystem;

namespace {

container::ContainerRecord named(char id_letter, const std::string& name) {
    container::ContainerRecord record;
    record.id = std::string(64, id_letter);
    record.name = name;
    return record;
}

}  // namespace

TEST_CASE("create refuses a name in use and sees renames and removals") {
    auto dir = sys::TempDir::create("/tmp", "hako-names-");
    REQUIRE(dir.ok());
    auto store = container::ContainerStore::open(dir->path() / "root");
    REQUIRE(store.ok());

    REQUIRE(store->create(named('a', "web")).ok());
    REQUIRE(store->create(named('b', "db")).ok());
    auto taken = store->create(named('c', "web"));
    REQUIRE_FALSE(taken.ok());
    CHECK(taken.error().message.find("\"/web\" is already in use by container \"" + std::string(64, 'a')) !=
          std::string::npos);

    // Renamed behind the store's back (as `rename` does: a new container.json).
    auto record = store->read(std::string(64, 'a'));
    REQUIRE(record.ok());
    record->name = "front";
    REQUIRE(sys::write_file_atomic(store->dir(record->id) / "container.json", container::record_to_json(*record)).ok());
    CHECK(store->create(named('c', "web")).ok());
    CHECK_FALSE(store->create(named('d', "front")).ok());

    // Removed: its name is free again.
    std::error_code ec;
    fs::remove_all(store->dir(std::string(64, 'b')), ec);
    REQUIRE_FALSE(ec);
    CHECK(store->create(named('e', "db")).ok());
    CHECK_FALSE(store->create(named('f', "db")).ok());
}
