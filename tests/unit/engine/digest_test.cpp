// Tests for engine/sys/digest: sha256 of strings, streams and files, digest checks.
#include <catch2/catch.hpp>

#include "engine/sys/digest.h"
#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"

using namespace hako;

TEST_CASE("digest: sha256 of known strings matches the published vectors") {
    CHECK(sys::sha256_digest("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sys::sha256_digest("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("digest: streaming in pieces gives the same digest as one update") {
    sys::Sha256 h;
    h.update("a");
    h.update("b");
    h.update("c");
    CHECK(h.digest_final() == sys::sha256_digest("abc"));
}

TEST_CASE("digest: a file's digest is the digest of its content") {
    auto dir = sys::TempDir::create("/tmp", "hako-digest-");
    REQUIRE(dir.ok());
    std::string content(200000, 'x');
    REQUIRE(sys::write_file_atomic(dir->path() / "f", content).ok());
    auto d = sys::sha256_file_digest(dir->path() / "f");
    REQUIRE(d.ok());
    CHECK(*d == sys::sha256_digest(content));
    CHECK_FALSE(sys::sha256_file_digest(dir->path() / "missing").ok());
}

TEST_CASE("digest: validation accepts only sha256 with 64 lowercase hex digits") {
    std::string good = sys::sha256_digest("x");
    CHECK(sys::is_sha256_digest(good));
    CHECK(sys::digest_hex(good).value() == good.substr(7));
    CHECK_FALSE(sys::is_sha256_digest("sha256:abc"));
    CHECK_FALSE(sys::is_sha256_digest("sha512:" + good.substr(7)));
    std::string upper = good;
    upper[10] = 'A';
    CHECK_FALSE(sys::is_sha256_digest(upper));
    CHECK_FALSE(sys::digest_hex("sha256:../../etc/passwd").ok());
}
