// This file implements the store of unpacked layers, shared between images:
// ROOT/layers/<diff-id hex>/{diff/,link,layer.json} plus the short symlink
// ROOT/l/<link> → ../layers/<hex>/diff, so a deep overlay mount's options stay short
// (the scheme of Docker's overlay2 driver).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/store/state_root.h"
#include "engine/sys/error.h"

namespace hako::image {

struct LayerInfo {
    std::string diff_id;       // "sha256:<hex>" of the uncompressed tar
    std::string link;          // short id: ROOT/l/<link> is the layer's diff folder
    int64_t size = 0;          // bytes of file content in the layer
    std::string compression;   // of the stream it came from: none, gzip, zstd
};

class LayerStore {
public:
    explicit LayerStore(const store::StateRoot& root) : root_(root) {}

    // Extracts the layer tar read from `fd` (see unpack_layer) into a scratch folder
    // and publishes it under its diff id, or keeps the layer already stored with that
    // diff id. The caller holds the root's ingest lock; this takes the root lock only
    // to publish.
    Result<LayerInfo> add(int fd) const;
    // The stored layer with this diff id (one small file read).
    Result<LayerInfo> get(const std::string& diff_id) const;
    bool has(const std::string& diff_id) const;
    // ROOT/layers/<hex>/diff and ROOT/l/<link>.
    std::filesystem::path diff_dir(const std::string& diff_id) const;
    std::filesystem::path link_path(const std::string& link) const { return root_.links_dir() / link; }
    // Diff ids of every stored layer.
    Result<std::vector<std::string>> list() const;
    // Removes a layer and its short link (renamed away first, so a crash never
    // leaves a half-removed layer that looks whole). Callers hold the GC lock and
    // the root lock.
    Result<void> remove(const std::string& diff_id) const;
    // Removes ROOT/l symlinks whose layer is gone. Callers hold both locks.
    Result<void> remove_dangling_links() const;

private:
    store::StateRoot root_;
};

}  // namespace hako::image
