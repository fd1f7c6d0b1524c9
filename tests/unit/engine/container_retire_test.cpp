// Tests engine/container/retire.cpp: a container's folder leaves the store in one rename.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "engine/container/retire.h"
#include "engine/sys/remove_tree.h"
#include "engine/sys/tempdir.h"

using namespace hako;
namespace fs = std::filesystem;

namespace {

// A store under a temporary root holding one container record named `name`.
struct StoreWithOne {
    sys::TempDir dir;
    container::ContainerStore store;
    container::ContainerRecord record;
};

StoreWithOne store_with_one(char id_letter, const std::string& name) {
    auto dir = sys::TempDir::create("/tmp", "hako-retire-");
    REQUIRE(dir.ok());
    auto store = container::ContainerStore::open(dir->path() / "root");
    REQUIRE(store.ok());
    container::ContainerRecord record;
    record.id = std::string(64, id_letter);
    record.name = name;
    REQUIRE(store->create(record).ok());
    return StoreWithOne{std::move(*dir), std::move(*store), record};
}

}  // namespace

TEST_CASE("retire_files: the folder moves to ROOT/tmp at once, the store no longer lists it") {
    auto fixture = store_with_one('a', "retire-me");
    auto* store = &fixture.store;
    const auto& record = fixture.record;
    fs::create_directories(store->dir(record.id) / "upper" / "etc");
    REQUIRE(store->list()->size() == 1);

    auto retired = container::retire_files(*store, record.id);
    REQUIRE(retired.ok());
    CHECK(*retired == store->root().tmp_dir() / ("deleted-container-" + record.id));
    CHECK(fs::exists(*retired / "upper" / "etc"));
    CHECK_FALSE(fs::exists(store->dir(record.id)));
    CHECK(store->list()->empty());
    CHECK_FALSE(store->find("retire-me").ok());

    // A leftover of a killed removal under the same name: the next one goes beside it.
    REQUIRE(store->create(record).ok());
    auto again = container::retire_files(*store, record.id);
    REQUIRE(again.ok());
    CHECK(*again != *retired);
    CHECK(sys::remove_tree(*again).ok());
    CHECK(sys::remove_tree(*retired).ok());

    auto gone = container::retire_files(*store, record.id);
    REQUIRE(gone.ok());
    CHECK(gone->empty());
    CHECK_FALSE(container::retire_files(*store, "../escape").ok());
}

TEST_CASE("remove_files: a container's folder is gone, nothing is left under ROOT/tmp") {
    auto fixture = store_with_one('b', "remove-me");
    auto* store = &fixture.store;
    const auto& record = fixture.record;
    REQUIRE(store->remove_files(record.id).ok());
    CHECK_FALSE(fs::exists(store->dir(record.id)));
    CHECK(fs::is_empty(store->root().tmp_dir()));
    CHECK(store->remove_files(record.id).ok());  // already gone: no error
}
