// This file implements the image store's usage hook from the container store: the
// containers that use an image, so `image rm` and `image prune` keep images in use.
#pragma once

#include "engine/container/container_store.h"
#include "engine/image/image_store.h"

namespace hako::container {

// A check for ImageStore::set_usage_check: the short ids (12 digits, as docker names
// them in its conflict messages) of every container, running or not, whose image is
// `image_id`. A store that cannot be listed counts as using the image, so nothing
// is removed on a read error.
image::ImageStore::UsageCheck image_usage_check(const ContainerStore& store);

// Opens the image store at the same root with the usage check set.
Result<image::ImageStore> open_image_store_with_usage(const std::filesystem::path& root);

}  // namespace hako::container
