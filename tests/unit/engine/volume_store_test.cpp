// Tests for engine/volume/volume_store: create (idempotent, validated, atomic),
// list, find, users through container records, remove refused while in use, prune.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "engine/container/container_store.h"
#include "engine/sys/tempdir.h"
#include "engine/volume/volume_store.h"

using namespace hako;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    sys::TempDir dir = sys::TempDir::create("/tmp", "hako-volumes-").value();
    fs::path root = dir.path() / "root";

    void add_container(const std::string& id, const std::string& name, nlohmann::json mounts) {
        auto store = container::ContainerStore::open(root).value();
        container::ContainerRecord record;
        record.id = id;
        record.name = name;
        record.image = "busybox";
        record.cmd = {"true"};
        record.mounts = std::move(mounts);
        REQUIRE(store.create(record).ok());
    }
};

std::string hex_id(char c) { return std::string(64, c); }

}  // namespace

TEST_CASE("volume store: create writes the record and an empty data folder; creating again returns it") {
    Fixture f;
    volume::VolumeSpec spec;
    spec.name = "data";
    spec.labels = {{"hako.project", "demo"}};
    auto created = volume::create_volume(f.root, spec);
    REQUIRE(created.ok());
    CHECK(created->mountpoint == (f.root / "volumes" / "data" / "_data").string());
    CHECK(fs::is_directory(created->mountpoint));
    CHECK_FALSE(created->anonymous);
    std::ofstream(created->mountpoint + "/file") << "kept";
    spec.labels = {{"other", "x"}};
    auto again = volume::create_volume(f.root, spec);
    REQUIRE(again.ok());
    CHECK(again->labels.at("hako.project") == "demo");  // the existing volume, as it is
    CHECK(fs::exists(again->mountpoint + "/file"));
    auto found = volume::find_volume(f.root, "data");
    REQUIRE(found.ok());
    CHECK(found->created == created->created);
    auto list = volume::list_volumes(f.root);
    REQUIRE(list.ok());
    REQUIRE(list->size() == 1);
    CHECK(list->front().name == "data");
}

TEST_CASE("volume store: bad names, drivers and options create nothing") {
    Fixture f;
    for (const char* name : {"a/b", "x", "-lead", "sp ace", "../up"}) {
        volume::VolumeSpec spec;
        spec.name = name;
        auto created = volume::create_volume(f.root, spec);
        INFO(name);
        CHECK_FALSE(created.ok());
    }
    volume::VolumeSpec slash;
    slash.name = "a/b";
    CHECK(volume::create_volume(f.root, slash).error().message.find("use absolute path") != std::string::npos);
    volume::VolumeSpec driver;
    driver.name = "good";
    driver.driver = "nfs-plugin";
    CHECK_FALSE(volume::create_volume(f.root, driver).ok());
    volume::VolumeSpec bind;
    bind.name = "good";
    bind.driver_opts = {{"type", "none"}, {"o", "bind"}, {"device", "/nonexistent/hako/path"}};
    CHECK_FALSE(volume::create_volume(f.root, bind).ok());
    volume::VolumeSpec unknown;
    unknown.name = "good";
    unknown.driver_opts = {{"colour", "blue"}};
    CHECK_FALSE(volume::create_volume(f.root, unknown).ok());
    CHECK(volume::list_volumes(f.root)->empty());
    CHECK_FALSE(volume::find_volume(f.root, "good").ok());
}

TEST_CASE("volume store: anonymous volumes get a 64-hex name and docker's label") {
    Fixture f;
    auto anonymous = volume::create_volume(f.root, volume::VolumeSpec{});
    REQUIRE(anonymous.ok());
    CHECK(anonymous->name.size() == 64);
    CHECK(anonymous->anonymous);
    CHECK(anonymous->labels.count(volume::kAnonymousLabel) == 1);
}

TEST_CASE("volume store: a volume used by a container, running or not, cannot be removed; the error names it") {
    Fixture f;
    volume::VolumeSpec spec;
    spec.name = "shared";
    REQUIRE(volume::create_volume(f.root, spec).ok());
    f.add_container(hex_id('a'), "user", {{{"type", "volume"}, {"source", "shared"}, {"target", "/d"}}});
    f.add_container(hex_id('b'), "borrower", {{{"type", "volumes_from"}, {"source", "user"}, {"read_only", true}}});
    auto users = volume::volume_users(f.root, "shared");
    REQUIRE(users.ok());
    CHECK(users->size() == 2);
    auto removed = volume::remove_volume(f.root, "shared", true);
    REQUIRE_FALSE(removed.ok());
    CHECK(removed.error().message.find("volume is in use") != std::string::npos);
    CHECK(removed.error().message.find(hex_id('a')) != std::string::npos);
    CHECK(volume::find_volume(f.root, "shared").ok());
    CHECK(volume::remove_volume_of(f.root, "shared", hex_id('a')).ok() == false);  // the borrower still uses it
}

TEST_CASE("volume store: rm of an unknown volume fails unless forced; rm removes the data") {
    Fixture f;
    CHECK_FALSE(volume::remove_volume(f.root, "missing", false).ok());
    CHECK(volume::remove_volume(f.root, "missing", true).ok());
    volume::VolumeSpec spec;
    spec.name = "gone";
    auto v = volume::create_volume(f.root, spec).value();
    std::ofstream(v.mountpoint + "/f") << "x";
    REQUIRE(volume::remove_volume(f.root, "gone", false).ok());
    CHECK_FALSE(fs::exists(f.root / "volumes" / "gone"));
    CHECK(volume::list_volumes(f.root)->empty());
}

TEST_CASE("volume store: prune removes unused anonymous volumes, with all the named ones too, honouring labels") {
    Fixture f;
    auto anonymous = volume::create_volume(f.root, volume::VolumeSpec{}).value();
    auto used_anonymous = volume::create_volume(f.root, volume::VolumeSpec{}).value();
    volume::VolumeSpec keep;
    keep.name = "keep";
    keep.labels = {{"keep", "yes"}};
    REQUIRE(volume::create_volume(f.root, keep).ok());
    volume::VolumeSpec named;
    named.name = "named";
    REQUIRE(volume::create_volume(f.root, named).ok());
    f.add_container(hex_id('c'), "c", {{{"type", "volume"}, {"source", used_anonymous.name}, {"target", "/d"}}});

    auto pruned = volume::prune_volumes(f.root, false, {});
    REQUIRE(pruned.ok());
    CHECK(*pruned == std::vector<std::string>{anonymous.name});
    pruned = volume::prune_volumes(f.root, true, {"!keep"});
    REQUIRE(pruned.ok());
    CHECK(*pruned == std::vector<std::string>{"named"});
    auto left = volume::list_volumes(f.root).value();
    CHECK(left.size() == 2);  // keep, and the anonymous volume in use
}
