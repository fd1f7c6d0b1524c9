// This file implements rewriting a container's record (container.json) after
// create, for the verbs that change it (rename): atomically, under the root lock
// that the caller holds.
#pragma once

#include "engine/container/container_store.h"
#include "engine/sys/error.h"

namespace hako::container {

// Replaces ROOT/containers/<id>/container.json with `record` (temp file + rename).
// The caller holds store.root().lock().
Result<void> rewrite_record(const ContainerStore& store, const ContainerRecord& record);

}  // namespace hako::container
