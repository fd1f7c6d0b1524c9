// Tests for engine/store: the state root layout, locks, and the blob store.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/store/blob_store.h"
#include "engine/store/state_root.h"
#include "engine/sys/digest.h"
#include "engine/sys/tempdir.h"

using namespace hako;

TEST_CASE("state_root: open creates the layout and a private run folder") {
    auto dir = sys::TempDir::create("/tmp", "hako-root-");
    REQUIRE(dir.ok());
    auto root = store::StateRoot::open(dir->path() / "state");
    REQUIRE(root.ok());
    struct stat st {};
    for (auto p : {root->blobs_dir(), root->images_dir(), root->layers_dir(), root->links_dir(), root->tmp_dir()}) {
        CHECK(::stat(p.c_str(), &st) == 0);
    }
    CHECK(root->run_dir() == dir->path() / "state" / "run");
    CHECK(::stat(root->run_dir().c_str(), &st) == 0);
}

TEST_CASE("state_root: the GC lock excludes ingest, ingest locks share") {
    auto dir = sys::TempDir::create("/tmp", "hako-root-");
    auto root = store::StateRoot::open(dir->path());
    REQUIRE(root.ok());
    auto a = root->ingest_lock();
    auto b = root->ingest_lock();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto gc = sys::FileLock::try_acquire(dir->path() / "gc.lock", sys::LockMode::Exclusive);
    CHECK_FALSE(gc.ok());
}

TEST_CASE("blob_store: put, read, has, size and remove round trip") {
    auto dir = sys::TempDir::create("/tmp", "hako-blobs-");
    auto root = store::StateRoot::open(dir->path());
    REQUIRE(root.ok());
    store::BlobStore blobs(*root);
    auto info = blobs.put("hello blob");
    REQUIRE(info.ok());
    CHECK(info->digest == sys::sha256_digest("hello blob"));
    CHECK(info->size == 10);
    CHECK(blobs.has(info->digest));
    CHECK(blobs.read(info->digest).value() == "hello blob");
    CHECK(blobs.size(info->digest).value() == 10);
    CHECK(blobs.list().value() == std::vector<std::string>{info->digest});
    REQUIRE(blobs.remove(info->digest).ok());
    CHECK_FALSE(blobs.has(info->digest));
    CHECK_FALSE(blobs.read(info->digest).ok());
}

TEST_CASE("blob_store: a digest mismatch stores nothing and leaves no temp file") {
    auto dir = sys::TempDir::create("/tmp", "hako-blobs-");
    auto root = store::StateRoot::open(dir->path());
    REQUIRE(root.ok());
    store::BlobStore blobs(*root);
    auto r = blobs.put("content", sys::sha256_digest("other"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("mismatch") != std::string::npos);
    CHECK(blobs.list().value().empty());
    CHECK(std::filesystem::is_empty(root->tmp_dir()));
}

TEST_CASE("blob_store: a corrupted blob is detected on read") {
    auto dir = sys::TempDir::create("/tmp", "hako-blobs-");
    auto root = store::StateRoot::open(dir->path());
    REQUIRE(root.ok());
    store::BlobStore blobs(*root);
    auto info = blobs.put("good");
    REQUIRE(info.ok());
    auto path = blobs.path(info->digest).value();
    REQUIRE(::truncate(path.c_str(), 1) == 0);
    auto r = blobs.read(info->digest);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("corrupt") != std::string::npos);
}
