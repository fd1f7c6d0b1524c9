// This file implements pause and unpause: freezing every process of a running
// container through its cgroup (/hako/<id>) — the v1 freezer controller where
// one is mounted (v1 and hybrid layouts, as runc does), cgroup.freeze on v2.
// Whether a container is paused is read back from the cgroup, not recorded.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"

namespace hako::container {

// Where a cgroup's freezer lives.
struct Freezer {
    enum class Kind { V1, V2 } kind = Kind::V2;
    std::filesystem::path dir;  // the container's folder in that hierarchy
};

// The freezer of the cgroup `path` ("/hako/ID") among `directories` (that
// cgroup's folder in every hierarchy): a v1 folder with freezer.state wins over
// a v2 one with cgroup.freeze; none is an error.
Result<Freezer> find_freezer(const std::vector<std::filesystem::path>& directories);

// Freezes the container's processes and waits until the kernel says they are.
// Not running → "Container NAME is not running"; already paused → "Container
// NAME is already paused" (status 1 each, as docker).
Result<void> pause_container(const ContainerStore& store, const ContainerRecord& record);
// Thaws them. Not paused → "Container NAME is not paused".
Result<void> unpause_container(const ContainerStore& store, const ContainerRecord& record);
// Whether the container's cgroup is frozen (false when it has none).
bool is_paused(const ContainerRecord& record);

}  // namespace hako::container
