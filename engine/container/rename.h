// This file implements `container rename`: a new name for a container, checked
// against docker's name rule and the names in use, under the root lock.
#pragma once

#include <string>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"

namespace hako::container {

// Renames the container `ref` (id, prefix or name) to `new_name` (a leading "/" is
// dropped). Errors as docker's: an empty or invalid name, the same name, a name in use.
Result<void> rename_container(const ContainerStore& store, const std::string& ref, const std::string& new_name);

}  // namespace hako::container
