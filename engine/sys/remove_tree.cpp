// This file implements remove_tree (remove_tree.h) on hako_remove_tree_at (tree_removal.h).
#include "engine/sys/remove_tree.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "engine/sys/fd.h"
#include "engine/sys/tree_removal.h"

namespace hako::sys {

Result<void> remove_tree(const std::filesystem::path& path) {
    std::string parent = path.has_parent_path() ? path.parent_path().string() : std::string(".");
    std::string name = path.filename().string();
    if (name.empty() || name == "." || name == "..") return Error("remove " + path.string() + ": not a removable path");
    UniqueFd parent_fd(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!parent_fd) {
        if (errno == ENOENT) return ok();
        return Error::from_syscall("open", errno, parent);
    }
    if (int error = hako_remove_tree_at(parent_fd.get(), name.c_str()))
        return Error::from_syscall("remove", error, path.string());
    return ok();
}

}  // namespace hako::sys
