// This file implements the build cache: the image state after each build step
// (config and layers), keyed by a digest of the parent step's key, the instruction,
// the build ARGs it uses and, for COPY/ADD, its sources' content and metadata;
// also the folders that RUN --mount=type=cache keeps between builds.
// Layout: ROOT/build-cache/steps/<key hex>.json, ROOT/build-cache/mounts/<id hex>/.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/image/image_store.h"
#include "engine/image/oci.h"
#include "engine/sys/error.h"

namespace hako::build {

// What a stage looks like after a step: the image config (with diff ids and history)
// and the layers behind the diff ids.
struct StageImage {
    image::ImageConfig config;
    std::vector<image::LayerRef> layers;
};

class BuildCache {
public:
    explicit BuildCache(const std::filesystem::path& state_root) : dir_(state_root / "build-cache") {}

    // The cached result of `key`, when recorded and all its layers are still stored.
    std::optional<StageImage> get(const std::string& key, const image::ImageStore& store) const;
    Result<void> put(const std::string& key, const StageImage& result) const;
    // The persistent folder of a cache mount (created on first use).
    Result<std::filesystem::path> mount_dir(const std::string& id) const;

private:
    std::filesystem::path dir_;
};

// "sha256:…" of the parts, each length-prefixed so no two lists collide.
std::string cache_key(const std::vector<std::string>& parts);

}  // namespace hako::build
