// This file implements path resolution confined to a root folder with openat2(2):
// RESOLVE_BENEATH refuses any path or symlink that would leave the root, and
// RESOLVE_IN_ROOT resolves as if the root were "/" (as a chrooted process sees it).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::sys {

enum class Resolve {
    Beneath,  // ".." above the root or a symlink out of it fails ("escapes the root")
    InRoot,   // absolute symlinks and ".." are clamped to the root, like chroot
};

// Normalises `path` lexically into components inside a root: a leading "/" and
// "." components are dropped, "a/../b" becomes "b"; a ".." that would climb above
// the root is an error. "" and "/" give an empty list (the root itself).
Result<std::vector<std::string>> split_confined(std::string_view path);
// Joins components with "/" ("." for an empty list).
std::string join_components(const std::vector<std::string>& components, size_t count);
inline std::string join_components(const std::vector<std::string>& components) {
    return join_components(components, components.size());
}

// openat2(root_fd, path, flags, mode) with RESOLVE_NO_MAGICLINKS and the given
// resolution; `path` is relative to the root (a leading "/" is allowed with InRoot).
// O_CLOEXEC is always added.
Result<UniqueFd> open_confined(int root_fd, std::string_view path, int flags, mode_t mode,
                               Resolve resolve);

// Opens the folder `components[0..count)` beneath root_fd as an O_PATH fd, creating
// each missing folder (mode 0755) on the way; symlinks are followed only while they
// stay beneath the root. A non-folder in the way is an error.
Result<UniqueFd> mkdir_all_beneath(int root_fd, const std::vector<std::string>& components,
                                   size_t count);

}  // namespace hako::sys
