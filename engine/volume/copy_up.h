// This file declares the copy of an image's content into an empty volume on its
// first use, as docker does: files, folders, symlinks and special files with
// their owners, modes and times, read through fds so that no symlink in the
// image is ever followed.
#pragma once

#include <filesystem>
#include <string>

#include "engine/sys/error.h"

namespace hako::volume {

// Whether the folder holds no entry at all.
Result<bool> folder_is_empty(const std::filesystem::path& folder);

// Copies the folder `target` of the container's root file system `rootfs`
// (resolved inside it, symlinks clamped to it) into `data`, with the source
// folder's owner and mode. Nothing to do when `target` is missing or not a folder.
Result<void> copy_up(const std::filesystem::path& rootfs, const std::string& target,
                     const std::filesystem::path& data);

}  // namespace hako::volume
