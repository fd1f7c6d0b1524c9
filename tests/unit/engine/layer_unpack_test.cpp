// Tests for engine/image/layer_unpack: safe extraction, whiteouts, metadata and the
// diff id. Device nodes, owners and trusted.* xattrs need root (tests run as root).
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/image/layer_unpack.h"
#include "engine/sys/digest.h"
#include "engine/sys/file.h"
#include "engine/sys/tempdir.h"
#include "tests/unit/engine/test_tar.h"

using namespace hako;
using hako::test::TestTar;

namespace {

struct Fixture {
    sys::TempDir dir = sys::TempDir::create("/tmp", "hako-unpack-").value();
    std::filesystem::path layer = dir.path() / "layer";
    std::filesystem::path outside = dir.path() / "outside";
    Fixture() {
        ::mkdir(layer.c_str(), 0755);
        ::mkdir(outside.c_str(), 0755);
    }
    Result<image::UnpackResult> unpack(TestTar& tar) {
        sys::UniqueFd fd = tar.open_at(dir.path() / "layer.tar");
        return image::unpack_layer(fd.get(), layer);
    }
    bool exists(const std::filesystem::path& p) const {
        struct stat st {};
        return ::lstat(p.c_str(), &st) == 0;
    }
};

bool is_root() { return ::geteuid() == 0; }

}  // namespace

TEST_CASE("layer_unpack: files, folders and symlinks land with modes, owners and mtimes") {
    Fixture fx;
    TestTar tar;
    tar.dir("etc/", 0755).file("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644)
        .file("bin/tool", "#!/bin/sh\n", 04755, 1000, 1000).symlink("bin/sh", "busybox").fifo("run/fifo", 0600)
        .dir("tmp/", 01777);
    auto r = fx.unpack(tar);
    REQUIRE(r.ok());
    CHECK(r->entries == 6);
    CHECK(sys::read_file(fx.layer / "etc/passwd").value() == "root:x:0:0::/root:/bin/sh\n");
    struct stat st {};
    REQUIRE(::lstat((fx.layer / "bin/tool").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 04755);
    if (is_root()) {
        CHECK(st.st_uid == 1000);
        CHECK(st.st_gid == 1000);
    }
    CHECK(st.st_mtime == 1700000000);
    REQUIRE(::lstat((fx.layer / "tmp").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 01777);
    CHECK(st.st_mtime == 1700000000);
    REQUIRE(::lstat((fx.layer / "etc").c_str(), &st) == 0);
    CHECK(st.st_mtime == 1700000000);  // set after its children were written
    REQUIRE(::lstat((fx.layer / "bin/sh").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    REQUIRE(::lstat((fx.layer / "run/fifo").c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
}

TEST_CASE("layer_unpack: the diff id is the sha256 of the uncompressed tar, for gzip too") {
    for (auto filter : {TestTar::Filter::None, TestTar::Filter::Gzip, TestTar::Filter::Zstd}) {
        Fixture fx;
        TestTar plain;
        plain.file("a", "hello");
        std::string expected = sys::sha256_digest(plain.bytes());
        TestTar tar(filter);
        tar.file("a", "hello");
        auto r = fx.unpack(tar);
        REQUIRE(r.ok());
        CHECK(r->diff_id == expected);
        CHECK(r->content_size == 5);
        CHECK(r->compression == (filter == TestTar::Filter::Gzip   ? image::Compression::Gzip
                                 : filter == TestTar::Filter::Zstd ? image::Compression::Zstd
                                                                   : image::Compression::None));
    }
}

TEST_CASE("layer_unpack: absolute entry names are confined to the layer") {
    Fixture fx;
    TestTar tar;
    tar.file((fx.outside / "abs-file").string(), "x");
    REQUIRE(fx.unpack(tar).ok());
    CHECK_FALSE(fx.exists(fx.outside / "abs-file"));
    CHECK(fx.exists(fx.layer / fx.outside.relative_path() / "abs-file"));
}

TEST_CASE("layer_unpack: an entry that climbs out with .. is refused") {
    Fixture fx;
    TestTar tar;
    tar.file("a/../../outside/dotdot", "x");
    auto r = fx.unpack(tar);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("a/../../outside/dotdot") != std::string::npos);
    CHECK_FALSE(fx.exists(fx.outside / "dotdot"));
}

TEST_CASE("layer_unpack: writing through a symlink that points out of the layer is refused") {
    SECTION("absolute symlink") {
        Fixture fx;
        TestTar tar;
        tar.symlink("evil", fx.outside.string()).file("evil/pwned", "x");
        auto r = fx.unpack(tar);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("evil/pwned") != std::string::npos);
        CHECK_FALSE(fx.exists(fx.outside / "pwned"));
    }
    SECTION("relative symlink climbing out") {
        Fixture fx;
        TestTar tar;
        tar.symlink("evil", "../outside").file("evil/pwned", "x");
        REQUIRE_FALSE(fx.unpack(tar).ok());
        CHECK_FALSE(fx.exists(fx.outside / "pwned"));
    }
    SECTION("symlink already in the folder") {
        Fixture fx;
        REQUIRE(::symlink(fx.outside.c_str(), (fx.layer / "pre").c_str()) == 0);
        TestTar tar;
        tar.file("pre/pwned", "x");
        REQUIRE_FALSE(fx.unpack(tar).ok());
        CHECK_FALSE(fx.exists(fx.outside / "pwned"));
    }
    SECTION("a file entry replaces a symlink instead of writing through it") {
        Fixture fx;
        REQUIRE(sys::write_file_atomic(fx.outside / "target", "original").ok());
        TestTar tar;
        tar.symlink("link", (fx.outside / "target").string()).file("link", "replaced");
        REQUIRE(fx.unpack(tar).ok());
        CHECK(sys::read_file(fx.outside / "target").value() == "original");
        CHECK(sys::read_file(fx.layer / "link").value() == "replaced");
    }
    SECTION("symlinks inside the layer still work as parents") {
        Fixture fx;
        TestTar tar;
        tar.dir("usr/lib/").symlink("lib", "usr/lib").file("lib/libc.so", "elf");
        REQUIRE(fx.unpack(tar).ok());
        CHECK(sys::read_file(fx.layer / "usr/lib/libc.so").value() == "elf");
    }
}

TEST_CASE("layer_unpack: hardlinks to outside the layer are refused, inside ones kept") {
    SECTION("target with ..") {
        Fixture fx;
        REQUIRE(sys::write_file_atomic(fx.outside / "secret", "s").ok());
        TestTar tar;
        tar.hardlink("stolen", "../outside/secret");
        REQUIRE_FALSE(fx.unpack(tar).ok());
        CHECK_FALSE(fx.exists(fx.layer / "stolen"));
    }
    SECTION("target through an escaping symlink") {
        Fixture fx;
        REQUIRE(sys::write_file_atomic(fx.outside / "secret", "s").ok());
        TestTar tar;
        tar.symlink("out", fx.outside.string()).hardlink("stolen", "out/secret");
        REQUIRE_FALSE(fx.unpack(tar).ok());
        struct stat st {};
        REQUIRE(::stat((fx.outside / "secret").c_str(), &st) == 0);
        CHECK(st.st_nlink == 1);
    }
    SECTION("absolute target is confined") {
        Fixture fx;
        TestTar tar;
        tar.file("bin/busybox", "bb").hardlink("bin/sh", "/bin/busybox");
        REQUIRE(fx.unpack(tar).ok());
        struct stat a {}, b {};
        REQUIRE(::stat((fx.layer / "bin/busybox").c_str(), &a) == 0);
        REQUIRE(::stat((fx.layer / "bin/sh").c_str(), &b) == 0);
        CHECK(a.st_ino == b.st_ino);
    }
}

TEST_CASE("layer_unpack: whiteouts become overlayfs whiteouts and opaque folders") {
    if (!is_root()) {
        WARN("needs root for trusted.* xattrs and device nodes");
        return;
    }
    Fixture fx;
    TestTar tar;
    tar.dir("etc/").file("etc/.wh.motd", "").dir("var/cache/").file("var/cache/.wh..wh..opq", "")
        .file("var/cache/new", "n");
    REQUIRE(fx.unpack(tar).ok());
    struct stat st {};
    REQUIRE(::lstat((fx.layer / "etc/motd").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
    CHECK_FALSE(fx.exists(fx.layer / "etc/.wh.motd"));
    char value[8] = {};
    ssize_t n = ::getxattr((fx.layer / "var/cache").c_str(), "trusted.overlay.opaque", value, sizeof value);
    REQUIRE(n == 1);
    CHECK(value[0] == 'y');
    CHECK_FALSE(fx.exists(fx.layer / "var/cache/.wh..wh..opq"));
    CHECK(fx.exists(fx.layer / "var/cache/new"));
}

TEST_CASE("layer_unpack: a whiteout cannot name .. or escape") {
    Fixture fx;
    TestTar tar;
    tar.file("a/.wh...", "");
    CHECK_FALSE(fx.unpack(tar).ok());
}

TEST_CASE("layer_unpack: device nodes and xattrs are kept, forged overlay xattrs dropped") {
    if (!is_root()) {
        WARN("needs root for device nodes");
        return;
    }
    Fixture fx;
    TestTar tar;
    tar.chardev("dev/null", 1, 3, 0666).file_with_xattr("cap", "x", "user.hako", "v")
        .file_with_xattr("forged", "x", "trusted.overlay.redirect", "/etc");
    REQUIRE(fx.unpack(tar).ok());
    struct stat st {};
    REQUIRE(::lstat((fx.layer / "dev/null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(major(st.st_rdev) == 1);
    CHECK(minor(st.st_rdev) == 3);
    CHECK((st.st_mode & 0777) == 0666);
    char value[16] = {};
    CHECK(::getxattr((fx.layer / "cap").c_str(), "user.hako", value, sizeof value) == 1);
    CHECK(::getxattr((fx.layer / "forged").c_str(), "trusted.overlay.redirect", value, sizeof value) < 0);
}

TEST_CASE("layer_unpack: garbage input is an error, not a crash") {
    Fixture fx;
    auto path = fx.dir.path() / "junk";
    REQUIRE(sys::write_file_atomic(path, std::string(3000, 'j')).ok());
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    CHECK_FALSE(image::unpack_layer(fd.get(), fx.layer).ok());
}
