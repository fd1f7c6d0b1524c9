// This file implements the root filesystem of one build step: an overlay of the
// step's parent layers plus a fresh upper folder in ROOT/tmp, unmounted and removed
// when its owner goes away. The upper folder becomes the step's layer.
#pragma once

#include <filesystem>
#include <vector>

#include "engine/image/image_store.h"
#include "engine/sys/error.h"
#include "engine/sys/tempdir.h"

namespace hako::build {

class StepRootfs {
public:
    // Mounts the layers (lowest first) at TMP/rootfs with TMP/upper as upper folder;
    // read-only (no upper) when `writable` is false.
    static Result<StepRootfs> mount(const image::ImageStore& store, const std::vector<image::LayerRef>& layers,
                                    bool writable);
    StepRootfs(StepRootfs&& other) noexcept;
    StepRootfs& operator=(StepRootfs&&) = delete;
    ~StepRootfs();

    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path rootfs() const { return dir_.path() / "rootfs"; }
    std::filesystem::path upper() const { return dir_.path() / "upper"; }
    // Unmounts now (the upper folder stays until the owner goes away).
    void unmount();

private:
    explicit StepRootfs(sys::TempDir dir) : dir_(std::move(dir)) {}
    sys::TempDir dir_;
    bool mounted_ = false;
};

}  // namespace hako::build
