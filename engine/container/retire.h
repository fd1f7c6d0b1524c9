// This file declares retire_files: a container's folder leaves the store in one
// rename, before the slow part of removing it. On ext4 here each rmdir costs ~3 ms
// (a freed block is discarded), and a container's folder holds nine folders once
// its overlay has run; a monitor that retires first can report the exit at once
// and remove the rest afterwards.
#pragma once

#include <filesystem>
#include <string>

#include "engine/container/container_store.h"
#include "engine/container/retired_folder.h"
#include "engine/sys/error.h"

namespace hako::container {

// The prefix of retired folders under ROOT/tmp (garbage that a killed remover left).
inline constexpr const char* kRetiredPrefix = HAKO_RETIRED_PREFIX;

// Renames ROOT/containers/ID to ROOT/tmp/deleted-container-ID: from then on list(),
// find() and a new container of the same name see nothing of it. Returns the new
// path for sys::remove_tree; an empty path when the folder was already gone.
Result<std::filesystem::path> retire_files(const ContainerStore& store, const std::string& id);

}  // namespace hako::container
