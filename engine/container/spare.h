// This file declares the pool of spare container folders (ROOT/spare): a removed
// container's folder, emptied down to rootfs/, upper/, work/, its name files and
// its records kept as spares (retired_folder.h), waits there for the next create, which takes it in one rename instead of
// allocating those inodes again (on this ext4 without a journal an inode
// allocation walks every recently deleted inode of its group: the dearest part of
// a create, and every deletion makes the next allocations dearer).
#pragma once

#include <filesystem>

#include "engine/container/retired_folder.h"
#include "engine/store/state_root.h"
#include "engine/sys/error.h"

namespace hako::container {

// At most this many spare folders wait; a removal beyond them deletes its folder.
inline constexpr int kMaxSpareFolders = HAKO_MAX_SPARE_FOLDERS;

// Renames a spare folder to `target` (which must not exist yet). Returns false when
// the pool is empty or missing (the caller then makes a fresh folder).
bool take_spare_folder(const store::StateRoot& root, const std::filesystem::path& target);

// Disposes of a retired container folder (retire_files' result; an empty path is
// nothing to do): emptied and kept as a spare when it can be reused exactly as a
// fresh one, otherwise removed (hako_dispose_retired, retired_folder.h).
Result<void> dispose_retired(const store::StateRoot& root, const std::filesystem::path& retired);

}  // namespace hako::container
