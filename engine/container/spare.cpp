// This file implements the pool of spare container folders (spare.h).
#include "engine/container/spare.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/container/retired_folder.h"
#include "engine/sys/fd.h"

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
    int error = hako_dispose_retired(root.path().c_str(), retired.c_str());
    if (error < 0) return Error("remove " + retired.string() + ": not a retired container folder of " + root.path().string());
    if (error > 0) return Error::from_syscall("remove", error, retired.string());
    return ok();
}

}  // namespace hako::container
