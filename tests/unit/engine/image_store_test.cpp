// Tests for engine/image/image_store: import, resolve, tags, records, rm, prune and
// garbage collection of blobs and shared layers.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "engine/image/image_store.h"
#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"
#include "tests/unit/engine/test_tar.h"

using namespace hako;
using hako::test::TestTar;

namespace {

struct StoreFixture {
    sys::TempDir dir = sys::TempDir::create("/tmp", "hako-images-").value();
    image::ImageStore store = image::ImageStore::open(dir.path() / "root").value();
    int counter = 0;

    Result<image::ImageRecord> import(TestTar& tar, const std::string& tag,
                                      std::vector<std::string> changes = {}) {
        sys::UniqueFd fd = tar.open_at(dir.path() / ("in" + std::to_string(counter++) + ".tar"));
        image::ImportOptions options;
        options.changes = std::move(changes);
        return store.import(fd.get(), tag, options);
    }
    size_t count(const std::filesystem::path& folder) const {
        size_t n = 0;
        for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(folder)) ++n;
        return n;
    }
};

}  // namespace

TEST_CASE("image_store: import makes a one-layer OCI image found by name, id and prefix") {
    StoreFixture fx;
    TestTar tar;
    tar.file("bin/busybox", "elf").symlink("bin/sh", "busybox");
    auto img = fx.import(tar, "busybox", {R"(CMD ["sh"])", "ENV A=1"});
    REQUIRE(img.ok());
    CHECK(img->repo_tags == std::vector<std::string>{"docker.io/library/busybox:latest"});
    CHECK(img->layers.size() == 1);
    CHECK(img->size == 3);

    for (std::string ref : {std::string("busybox"), std::string("busybox:latest"),
                            std::string("docker.io/library/busybox:latest"), img->id, img->id.substr(7),
                            img->id.substr(7, 12), img->id.substr(0, 12)}) {
        auto found = fx.store.resolve(ref);
        REQUIRE(found.ok());
        CHECK(found->id == img->id);
    }
    auto missing = fx.store.resolve("nothere");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "no such image: nothere");

    auto config = fx.store.config(img->id);
    REQUIRE(config.ok());
    CHECK(*config->config.cmd == std::vector<std::string>{"sh"});
    CHECK(config->config.env == std::vector<std::string>{"A=1"});
    CHECK(config->diff_ids == std::vector<std::string>{img->layers[0].diff_id});
    CHECK(config->history.size() == 1);

    // The manifest blob is a valid OCI manifest pointing at the config and layer.
    auto manifest = image::parse_manifest(fx.store.blobs().read(img->manifest_digest).value());
    REQUIRE(manifest.ok());
    CHECK(manifest->config.digest == img->id);
    CHECK(manifest->config.media_type == std::string(image::media_type::kConfig));
    REQUIRE(manifest->layers.size() == 1);
    CHECK(manifest->layers[0].media_type == std::string(image::media_type::kLayer));

    auto dirs = fx.store.layer_dirs(*img);
    REQUIRE(dirs.size() == 1);
    CHECK(dirs[0].parent_path() == fx.store.root().links_dir());
    CHECK(dirs[0].filename().string().size() == 26);
    CHECK(sys::read_file(dirs[0] / "bin/busybox").value() == "elf");
}

TEST_CASE("image_store: tags, and rm untags before it deletes") {
    StoreFixture fx;
    TestTar tar;
    tar.file("f", "1");
    auto img = fx.import(tar, "app:1");
    REQUIRE(img.ok());
    REQUIRE(fx.store.tag("app:1", "localhost:5000/app:2").ok());
    CHECK(fx.store.resolve("localhost:5000/app:2")->id == img->id);
    CHECK(fx.store.resolve("app:1")->repo_tags.size() == 2);
    CHECK_FALSE(fx.store.tag("nothere", "x").ok());
    CHECK_FALSE(fx.store.tag("app:1", "Bad").ok());

    // By id with two tags: refused unless forced.
    auto refused = fx.store.remove(img->short_id(), {});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("must be forced") != std::string::npos);

    auto untag = fx.store.remove("app:1", {});
    REQUIRE(untag.ok());
    CHECK(untag->untagged == std::vector<std::string>{"app:1"});
    CHECK(untag->deleted.empty());
    auto gone = fx.store.remove("localhost:5000/app:2", {});
    REQUIRE(gone.ok());
    CHECK(gone->deleted == std::vector<std::string>{img->id});
    CHECK_FALSE(fx.store.resolve(img->id).ok());
    // Nothing is left: blobs, layers and links are collected.
    CHECK(fx.store.blobs().list().value().empty());
    CHECK(fx.count(fx.store.root().layers_dir()) == 0);
    CHECK(fx.count(fx.store.root().links_dir()) == 0);
}

TEST_CASE("image_store: identical layers are stored once and survive until the last user goes") {
    StoreFixture fx;
    TestTar a, b;
    a.file("same", "content");
    b.file("same", "content");
    auto one = fx.import(a, "one");
    auto two = fx.import(b, "two");
    REQUIRE(one.ok());
    REQUIRE(two.ok());
    CHECK(one->id != two->id);  // created times differ
    CHECK(one->layers[0].diff_id == two->layers[0].diff_id);
    CHECK(one->layers[0].link == two->layers[0].link);
    CHECK(fx.count(fx.store.root().layers_dir()) == 1);
    REQUIRE(fx.store.remove("one", {}).ok());
    CHECK(fx.count(fx.store.root().layers_dir()) == 1);
    CHECK(sys::read_file(fx.store.layer_dirs(*two)[0] / "same").value() == "content");
    REQUIRE(fx.store.remove("two", {}).ok());
    CHECK(fx.count(fx.store.root().layers_dir()) == 0);
}

TEST_CASE("image_store: prune removes dangling images; --all removes unused ones") {
    StoreFixture fx;
    TestTar a, b, c;
    a.file("a", "a");
    b.file("b", "b");
    c.file("c", "c");
    auto dangling = fx.import(a, "");
    auto tagged = fx.import(b, "kept");
    auto used = fx.import(c, "used");
    REQUIRE(dangling.ok());
    REQUIRE(tagged.ok());
    REQUIRE(used.ok());
    std::string used_id = used->id;
    fx.store.set_usage_check([used_id](const std::string& id) {
        return id == used_id ? std::vector<std::string>{"web-1"} : std::vector<std::string>{};
    });
    // Leftovers of a killed import are collected too.
    REQUIRE(::mkdir((fx.store.root().tmp_dir() / "layer-stale").c_str(), 0700) == 0);

    auto pruned = fx.store.prune(false);
    REQUIRE(pruned.ok());
    CHECK(pruned->deleted == std::vector<std::string>{dangling->id});
    CHECK(pruned->reclaimed_bytes > 0);
    CHECK(fx.count(fx.store.root().tmp_dir()) == 0);
    CHECK(fx.store.list().value().size() == 2);

    auto refused = fx.store.remove("used", {});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("web-1") != std::string::npos);

    auto all = fx.store.prune(true);
    REQUIRE(all.ok());
    CHECK(all->deleted == std::vector<std::string>{tagged->id});
    auto left = fx.store.list().value();
    REQUIRE(left.size() == 1);
    CHECK(left[0].id == used_id);
    CHECK(fx.store.blobs().list().value().size() == 3);  // config, manifest, layer
}

TEST_CASE("image_store: a refused layer stores no image and leaves no scratch") {
    StoreFixture fx;
    TestTar tar;
    tar.file("../escape", "x");
    auto r = fx.import(tar, "bad");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("../escape") != std::string::npos);
    CHECK(fx.store.list().value().empty());
    CHECK(fx.count(fx.store.root().tmp_dir()) == 0);
    CHECK(fx.count(fx.store.root().layers_dir()) == 0);
}

TEST_CASE("image_store: commit checks that the config's diff ids match the layers") {
    StoreFixture fx;
    image::ImageConfig config;
    config.diff_ids = {"sha256:" + std::string(64, 'a')};
    CHECK_FALSE(fx.store.commit(config, {}, {}).ok());
}

TEST_CASE("image_store: records are JSON files with the documented fields") {
    StoreFixture fx;
    TestTar tar;
    tar.file("f", "1");
    auto img = fx.import(tar, "rec");
    REQUIRE(img.ok());
    auto text = sys::read_file(fx.store.root().images_dir() / (img->id.substr(7) + ".json"));
    REQUIRE(text.ok());
    auto j = nlohmann::json::parse(*text);
    CHECK(j["id"] == img->id);
    CHECK(j["manifest"]["digest"] == img->manifest_digest);
    CHECK(j["layers"][0]["link"] == img->layers[0].link);
    auto index = nlohmann::json::parse(sys::read_file(fx.store.root().images_dir() / "repositories.json").value());
    CHECK(index["repositories"]["docker.io/library/rec"]["latest"] == img->id);
}
