// This file declares path resolution confined to a root folder (openat2 with
// RESOLVE_IN_ROOT), so symlinks planted in an image cannot point mounts or reads
// outside the container's rootfs.
#pragma once

#include <filesystem>
#include <string>

#include "engine/sys/fd.h"
#include "engine/sys/error.h"

namespace hako::runtime {

enum class NodeKind { Directory, File };

// Opens `path` (absolute or relative, read as relative to the root) inside the
// root `root_fd` with `flags`, resolving symlinks and ".." as if root were "/".
Result<sys::UniqueFd> open_in_root(int root_fd, const std::string& path, int flags);
// Creates `path` inside the root (parents as folders, the last one as `kind`)
// when missing, and returns an O_PATH fd on it, suitable as a mount target
// through /proc/self/fd/N.
Result<sys::UniqueFd> ensure_in_root(int root_fd, const std::string& path, NodeKind kind);
// "/proc/self/fd/N" for an fd, to name an fd to mount(2) or open(2).
std::string fd_path(int fd);
// Reads a whole small file inside a root folder (for /etc/passwd and /etc/group).
Result<std::string> read_file_in_root(const std::filesystem::path& root, const std::string& path);

}  // namespace hako::runtime
