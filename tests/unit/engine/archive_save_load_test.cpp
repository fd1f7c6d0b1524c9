// Tests for engine/image/archive: save → load round trips between two stores, and
// loads of damaged archives that must store nothing.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "engine/image/archive.h"
#include "engine/image/image_store.h"
#include "engine/sys/tempdir.h"
#include "tests/unit/engine/test_tar.h"

using namespace hako;
using hako::test::TestTar;
namespace fs = std::filesystem;

namespace {

struct Stores {
    sys::TempDir dir = sys::TempDir::create("/tmp", "hako-archive-").value();
    image::ImageStore a = image::ImageStore::open(dir.path() / "a").value();
    image::ImageStore b = image::ImageStore::open(dir.path() / "b").value();

    sys::UniqueFd file(const std::string& name, int flags = O_RDONLY) {
        return sys::UniqueFd(::open((dir.path() / name).c_str(), flags | O_CLOEXEC, 0644));
    }
    size_t blob_count(const image::ImageStore& s) {
        size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(s.root().blobs_dir())) ++n;
        return n;
    }
};

}  // namespace

TEST_CASE("archive: save then load gives the same image id, tags and layers") {
    Stores s;
    TestTar tar(TestTar::Filter::Gzip);
    tar.dir("etc").file("etc/hello", "world\n");
    sys::UniqueFd in = tar.open_at(s.dir.path() / "layer.tar.gz");
    auto imported = s.a.import(in.get(), "demo:1", {});
    REQUIRE(imported.ok());
    REQUIRE(s.a.tag("demo:1", "example.com/x/demo:2").ok());
    {
        sys::UniqueFd out = s.file("save.tar", O_WRONLY | O_CREAT | O_TRUNC);
        REQUIRE(image::save_images(s.a, {"demo:1", "example.com/x/demo:2"}, out.get()).ok());
    }
    sys::UniqueFd archive = s.file("save.tar");
    auto loaded = image::load_images(s.b, archive.get());
    REQUIRE(loaded.ok());
    REQUIRE(loaded->size() == 1);
    CHECK(loaded->front().id == imported->id);
    CHECK(loaded->front().tags == std::vector<std::string>{"demo:1", "example.com/x/demo:2"});
    auto record = s.b.resolve("example.com/x/demo:2");
    REQUIRE(record.ok());
    CHECK(record->id == imported->id);
    REQUIRE(record->layers.size() == 1);
    CHECK(record->layers[0].diff_id == imported->layers[0].diff_id);
    // docker save writes layers uncompressed: the loaded blob is the plain tar.
    CHECK(record->layers[0].digest == record->layers[0].diff_id);
}

TEST_CASE("archive: damaged archives are refused and store nothing") {
    Stores s;
    TestTar tar;
    tar.file("a", "b");
    sys::UniqueFd in = tar.open_at(s.dir.path() / "layer.tar");
    REQUIRE(s.a.import(in.get(), "demo:1", {}).ok());
    std::string saved;
    {
        sys::UniqueFd out = s.file("save.tar", O_WRONLY | O_CREAT | O_TRUNC);
        REQUIRE(image::save_images(s.a, {"demo:1"}, out.get()).ok());
    }
    size_t blobs_before = s.blob_count(s.b);

    SECTION("truncated") {
        REQUIRE(::truncate((s.dir.path() / "save.tar").c_str(), 2048) == 0);
        sys::UniqueFd archive = s.file("save.tar");
        CHECK_FALSE(image::load_images(s.b, archive.get()).ok());
    }
    SECTION("a manifest.json that names a missing layer") {
        TestTar bad;
        bad.file("manifest.json", R"([{"Config":"c.json","RepoTags":["x:1"],"Layers":["nope/layer.tar"]}])")
            .file("c.json", R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:)" +
                                std::string(64, '0') + R"("]}})");
        sys::UniqueFd archive = bad.open_at(s.dir.path() / "bad.tar");
        auto r = image::load_images(s.b, archive.get());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("no member \"nope/layer.tar\"") != std::string::npos);
    }
    SECTION("neither docker nor OCI") {
        TestTar bad;
        bad.file("hello", "x");
        sys::UniqueFd archive = bad.open_at(s.dir.path() / "bad.tar");
        auto r = image::load_images(s.b, archive.get());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("not an image archive") != std::string::npos);
    }
    CHECK(s.blob_count(s.b) == blobs_before);
    CHECK(s.b.list().value().empty());
}
