// This file declares how a container's secrets and configs become files: each
// one written into the container's folder with its uid, gid and mode (hako
// applies them, where docker ignores them outside Swarm), then bound read-only.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::volume {

// Writes the file of one secret or config entry (normalised, mount_spec.h) as
// DIR/files/INDEX-NAME from its "file" or "content", and returns its read-only
// bind mount at the entry's target.
Result<runtime::Mount> materialize_file_mount(const std::filesystem::path& container_dir, size_t index,
                                              const nlohmann::json& entry);

}  // namespace hako::volume
