// This file implements the pool of spare container folders (spare.h).
#include "engine/container/spare.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/fd.h"
#include "engine/sys/remove_tree.h"

namespace hako::container {
namespace {

namespace fs = std::filesystem;

// The names in the folder `dir_fd` (not . and ..); nullopt when it cannot be read.
std::optional<std::vector<std::string>> names_in(int dir_fd) {
    int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) return std::nullopt;
    DIR* d = ::fdopendir(copy);
    if (!d) {
        ::close(copy);
        return std::nullopt;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
}

// A folder of the container's folder that is a real folder here, not a mount.
bool plain_folder(int dir_fd, const char* name) {
    struct statx st {};
    if (::statx(dir_fd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st) != 0) return false;
    if (!S_ISDIR(st.stx_mode)) return false;
    return !(st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

bool empty_folder(const fs::path& folder, int folder_fd) {
    auto names = names_in(folder_fd);
    if (!names) return false;
    for (const auto& name : *names)
        if (!sys::remove_tree(folder / name).ok()) return false;
    return true;
}

// upper/ is the container's "/": whatever the last container did to it (chmod,
// chown, setfattr on /; overlay's own trusted.overlay.* marks) goes, so the next
// container sees the root a fresh mkdir would give it.
bool reset_upper_root(int upper_fd) {
    struct stat st {};
    if (::fstat(upper_fd, &st) != 0) return false;
    if ((st.st_uid != 0 || st.st_gid != 0) && ::fchown(upper_fd, 0, 0) != 0) return false;
    if ((st.st_mode & 07777) != 0755 && ::fchmod(upper_fd, 0755) != 0) return false;
    char names[4096];
    ssize_t size = ::flistxattr(upper_fd, names, sizeof names);
    if (size < 0) return errno == ENOTSUP;
    for (ssize_t at = 0; at < size;) {
        const char* name = names + at;
        if (::fremovexattr(upper_fd, name) != 0 && errno != ENODATA) return false;
        at += static_cast<ssize_t>(std::char_traits<char>::length(name)) + 1;
    }
    return true;
}

// The files that net::prepare rewrites in place at every start: kept, emptied.
bool is_name_file(std::string_view name) { return name == "hosts" || name == "resolv.conf" || name == "hostname"; }

int count_spares(const fs::path& pool) {
    sys::UniqueFd fd(::open(pool.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return errno == ENOENT ? 0 : kMaxSpareFolders;
    auto names = names_in(fd.get());
    return names ? static_cast<int>(names->size()) : kMaxSpareFolders;
}

// Empties `retired` to what ContainerStore::create makes and moves it into the pool.
bool recycle(const fs::path& pool, const fs::path& retired) {
    if (count_spares(pool) >= kMaxSpareFolders) return false;
    sys::UniqueFd dir(::open(retired.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return false;
    for (const char* kept : {"rootfs", "upper", "work"})
        if (!plain_folder(dir.get(), kept)) return false;
    auto names = names_in(dir.get());
    if (!names) return false;
    for (const auto& name : *names) {
        if (name == "rootfs" || name == "upper" || name == "work") {
            sys::UniqueFd sub(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub || !empty_folder(retired / name, sub.get())) return false;
            if (name == "upper" && !reset_upper_root(sub.get())) return false;
            continue;
        }
        if (is_name_file(name)) {
            sys::UniqueFd file(::openat(dir.get(), name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
            struct stat st {};
            if (file && ::fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode) && ::ftruncate(file.get(), 0) == 0)
                continue;
        }
        if (!sys::remove_tree(retired / name).ok()) return false;
    }
    if (::mkdir(pool.c_str(), 0700) != 0 && errno != EEXIST) return false;
    fs::path spare = pool / retired.filename();
    return ::renameat2(AT_FDCWD, retired.c_str(), AT_FDCWD, spare.c_str(), RENAME_NOREPLACE) == 0;
}

}  // namespace

bool take_spare_folder(const store::StateRoot& root, const fs::path& target) {
    fs::path pool = root.spare_dir();
    sys::UniqueFd fd(::open(pool.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return false;
    auto names = names_in(fd.get());
    if (!names) return false;
    for (const auto& name : *names) {
        if (::renameat2(fd.get(), name.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) return true;
        if (errno != ENOENT) return false;  // taken meanwhile: try the next
    }
    return false;
}

Result<void> dispose_retired(const store::StateRoot& root, const fs::path& retired) {
    if (retired.empty()) return ok();
    if (recycle(root.spare_dir(), retired)) return ok();
    return sys::remove_tree(retired);
}

}  // namespace hako::container
