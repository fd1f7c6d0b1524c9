// This file implements whole-file reads and atomic writes (temp file + fsync +
// rename), so a killed command never leaves a record half written.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "engine/sys/error.h"

namespace hako::sys {

// Reads a whole file; refuses files larger than `max_bytes` with an error that
// says how large the file is.
Result<std::string> read_file(const std::filesystem::path& path, size_t max_bytes = SIZE_MAX);

// Whether an atomic write waits for the disk: Durable for records that must
// survive a crash; Volatile for files that a crash makes stale anyway (run state,
// a bundle rewritten at every start), where an fsync costs milliseconds for nothing.
enum class Durability { Durable, Volatile };

// Writes `content` to `path` atomically: a temp file in the same folder, rename
// over the target; Durable adds an fsync of the file and then of the folder.
// Volatile exchanges the temp file with the target and removes the old one
// (renameat2 RENAME_EXCHANGE; rename when there is no target yet): on ext4 a
// rename over a file forces the new data out to disk, which Volatile need not.
//
// A Volatile write first takes `.NAME.spare` beside the target when there is one
// (renamed to its temp name, so two writers never share it), writes over it and
// cuts it to size: a recycled container folder keeps its record files so (ROOT/spare,
// engine/container/retired_folder.h), and on ext4 without a journal every inode
// made walks the recently deleted ones of its group and every file deleted with a
// block is a synchronous discard.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                               unsigned mode = 0644, Durability durability = Durability::Durable);

// Writes `content` at the start of the open regular file `fd`, then cuts the file
// to that length when it was longer (only then: ext4 runs a truncate even to the
// same size, ~1 ms here when the data still waited for its block). Never cut to 0
// first: on an ext4 mounted with `discard` each freed block is a synchronous
// discard, and the write would allocate it again. `name` is for errors.
Result<void> write_over(int fd, std::string_view content, const std::string& name);

// The suffix of a spare file (above): `.NAME` + this.
inline constexpr const char* kSpareSuffix = ".spare";

}  // namespace hako::sys
