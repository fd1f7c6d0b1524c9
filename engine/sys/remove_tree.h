// This file declares remove_tree, a recursive delete (rm -rf) by path on
// hako_remove_tree_at (tree_removal.h: about half the system calls of
// std::filesystem::remove_all).
#pragma once

#include <filesystem>

#include "engine/sys/error.h"

namespace hako::sys {

// Removes `path` and everything below it, never following a symlink (a link is
// removed, not what it points to). A missing path is no error. Mounts below
// `path` are not crossed specially: unmount them first.
Result<void> remove_tree(const std::filesystem::path& path);

}  // namespace hako::sys
