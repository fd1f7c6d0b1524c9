// Tests for engine/volume/copy_up (filling a new volume from the image) and the
// confined creation of mount targets it relies on (runtime/path_in_root): symlinks
// planted in the image are copied as links and never followed out of the root.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/runtime/path_in_root.h"
#include "engine/sys/tempdir.h"
#include "engine/volume/copy_up.h"

using namespace hako;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    sys::TempDir dir = sys::TempDir::create("/tmp", "hako-copyup-").value();
    fs::path rootfs = dir.path() / "rootfs";
    fs::path outside = dir.path() / "outside";
    fs::path data = dir.path() / "data";
    Fixture() {
        fs::create_directories(rootfs / "srv" / "app" / "nested");
        fs::create_directories(outside);
        fs::create_directories(data);
        std::ofstream(rootfs / "srv" / "app" / "config") << "port=80\n";
        std::ofstream(rootfs / "srv" / "app" / "nested" / "deep") << "deep\n";
        std::ofstream(outside / "secret") << "host secret\n";
        ::chmod((rootfs / "srv" / "app" / "config").c_str(), 0640);
        ::chmod((rootfs / "srv" / "app").c_str(), 0710);
        fs::create_symlink(outside, rootfs / "srv" / "app" / "escape");
    }
    std::string read(const fs::path& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
};

}  // namespace

TEST_CASE("copy_up: files, folders, modes and symlinks (as links) land in the volume") {
    Fixture f;
    REQUIRE(volume::folder_is_empty(f.data).value());
    REQUIRE(volume::copy_up(f.rootfs, "/srv/app", f.data).ok());
    CHECK(f.read(f.data / "config") == "port=80\n");
    CHECK(f.read(f.data / "nested" / "deep") == "deep\n");
    struct stat st {};
    REQUIRE(::stat((f.data / "config").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    REQUIRE(::stat(f.data.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0710);  // the volume takes the image folder's mode
    CHECK(fs::is_symlink(f.data / "escape"));
    CHECK(fs::read_symlink(f.data / "escape") == f.outside);
    CHECK_FALSE(volume::folder_is_empty(f.data).value());
}

TEST_CASE("copy_up: a symlinked mount point resolves inside the root, a missing one copies nothing") {
    Fixture f;
    // /link -> /srv/app inside the image is followed within the root.
    fs::create_symlink("/srv/app", f.rootfs / "link");
    REQUIRE(volume::copy_up(f.rootfs, "/link", f.data).ok());
    CHECK(fs::exists(f.data / "config"));
    // /srv/app/escape -> OUTSIDE (absolute) resolves to ROOTFS/OUTSIDE: missing, nothing copied.
    fs::path empty = f.dir.path() / "empty";
    fs::create_directories(empty);
    REQUIRE(volume::copy_up(f.rootfs, "/srv/app/escape", empty).ok());
    CHECK(volume::folder_is_empty(empty).value());
    REQUIRE(volume::copy_up(f.rootfs, "/no/such/folder", empty).ok());
    CHECK(volume::folder_is_empty(empty).value());
}

TEST_CASE("ensure_in_root: a planted dangling symlink makes folders inside the root, never on the host") {
    Fixture f;
    fs::path target = f.dir.path() / "host-target";  // does not exist on the host
    fs::create_symlink(target, f.rootfs / "abs");
    fs::create_symlink("../../../../../../../.." + target.string(), f.rootfs / "rel");
    int root = ::open(f.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(root >= 0);
    sys::UniqueFd owner(root);
    auto abs = runtime::ensure_in_root(root, "/abs/sub", runtime::NodeKind::Directory);
    REQUIRE(abs.ok());
    auto rel = runtime::ensure_in_root(root, "/rel/file", runtime::NodeKind::File);
    REQUIRE(rel.ok());
    CHECK_FALSE(fs::exists(target));
    CHECK(fs::is_directory(f.rootfs / target.relative_path() / "sub"));
    CHECK(fs::is_regular_file(f.rootfs / target.relative_path() / "file"));
    // The fd points at the folder inside the root.
    auto real = fs::read_symlink("/proc/self/fd/" + std::to_string(abs->get()));
    CHECK(real == f.rootfs / target.relative_path() / "sub");
    auto loop = (fs::create_symlink("loop", f.rootfs / "loop"), runtime::ensure_in_root(root, "/loop/x", runtime::NodeKind::Directory));
    CHECK_FALSE(loop.ok());
}
