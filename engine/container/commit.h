// This file implements `container diff` and `container commit`: a container's own
// layer (its overlay upper folder) listed as A/C/D changes against its image, or
// turned into a new image on top of it (engine/image/layer_diff.h does the diff).
#pragma once

#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/image/image_store.h"
#include "engine/image/layer_diff.h"
#include "engine/sys/error.h"

namespace hako::container {

// The changes of the container's layer, sorted by path (docker diff).
Result<std::vector<image::Change>> container_changes(const ContainerStore& store, const ContainerRecord& record);

struct CommitRequest {
    std::string reference;             // REPOSITORY[:TAG], or "" for an untagged image
    std::vector<std::string> changes;  // --change instructions (CMD, ENV, …)
    std::string message;               // -m: the history comment
    std::string author;                // -a
};

// A new image: the container's image plus one layer holding the container's changes
// (none when it changed nothing), with the container's config (Env, Cmd, Entrypoint,
// WorkingDir, User, Labels) and the --change instructions applied on top.
Result<image::ImageRecord> commit_container(const ContainerStore& store, const ContainerRecord& record,
                                            const CommitRequest& request);

}  // namespace hako::container
