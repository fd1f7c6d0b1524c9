// This file implements the image store: OCI images (manifest + config + layers) kept
// as content-addressed blobs, one record per image (ROOT/images/<id hex>.json) and a
// tags index (ROOT/images/repositories.json). An image's id is its config digest.
//
// The API other engine parts use (docs/formats.md describes the files):
//   ImageStore store = TRY(ImageStore::open(root_path));
//   ImageRecord image = TRY(store.resolve("busybox"));   // name[:tag][@digest], id, short id
//   ImageConfig config = TRY(store.config(image.id));    // parsed OCI config (Env, Cmd, …)
//   std::vector<std::filesystem::path> lower = store.layer_dirs(image);
//       // lowest layer first, as ROOT/l/<short> symlinks; overlayfs wants
//       // lowerdir=highest:…:lowest, so reverse it (or chdir(ROOT) and use "l/<short>").
// resolve() reads two small files (the tags index and the record); config() one blob;
// layer_dirs(record) reads nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/image/layer_store.h"
#include "engine/image/oci.h"
#include "engine/store/blob_store.h"
#include "engine/store/state_root.h"
#include "engine/sys/error.h"

namespace hako::image {

struct LayerRef {
    std::string digest;      // blob digest (compressed as stored)
    std::string media_type;  // of the blob
    int64_t size = 0;        // blob bytes
    std::string diff_id;     // uncompressed tar digest
    std::string link;        // short id: ROOT/l/<link>
    int64_t unpacked_size = 0;
};

struct ImageRecord {
    std::string id;  // "sha256:<config hex>"
    std::string manifest_digest;
    std::string manifest_media_type;
    std::string created;
    std::string architecture;
    std::string os;
    std::vector<LayerRef> layers;  // lowest first
    int64_t size = 0;              // sum of the layers' unpacked sizes
    std::vector<std::string> repo_digests;  // "name@sha256:…" (pulled images)
    std::string last_tag_time;
    // Filled from the tags index when read: normalised "docker.io/library/x:tag".
    std::vector<std::string> repo_tags;

    std::string short_id() const { return id.size() > 19 ? id.substr(7, 12) : id; }
};

struct ImportOptions {
    std::vector<std::string> changes;  // --change instructions
    std::string message;               // history comment; default "Imported from SOURCE"
    std::string source_name = "-";
    std::string architecture;          // default: this machine's
    std::string os = "linux";
};

struct RemoveOptions {
    bool force = false;
};

struct RemoveReport {
    std::vector<std::string> untagged;  // familiar references
    std::vector<std::string> deleted;   // image ids
};

struct PruneReport {
    std::vector<std::string> untagged;
    std::vector<std::string> deleted;  // image ids
    int64_t reclaimed_bytes = 0;       // blobs and unpacked layers removed
};

class ImageStore {
public:
    // Opens (creating as needed) the state root at `root`.
    static Result<ImageStore> open(const std::filesystem::path& root);
    explicit ImageStore(store::StateRoot root);

    const store::StateRoot& root() const { return root_; }
    const store::BlobStore& blobs() const { return blobs_; }
    const LayerStore& layers() const { return layers_; }

    // Finds an image by reference ("busybox", "docker.io/library/busybox:1.36",
    // "name@sha256:…"), full id ("sha256:<hex>" or 64 hex) or unique id prefix.
    // Unknown → "no such image: REF" (exit status 1).
    Result<ImageRecord> resolve(std::string_view ref) const;
    // The record of an image id ("sha256:<hex>").
    Result<ImageRecord> record(const std::string& id) const;
    // The parsed OCI config of an image (reads and verifies the config blob).
    Result<ImageConfig> config(const std::string& id) const;
    // The config blob as stored.
    Result<std::string> config_json(const std::string& id) const;
    // The image's layer folders, lowest first, as ROOT/l/<short> paths.
    std::vector<std::filesystem::path> layer_dirs(const ImageRecord& image) const;
    Result<std::vector<std::filesystem::path>> layer_dirs(const std::string& id) const;
    // Every image, with repo_tags filled, newest first.
    Result<std::vector<ImageRecord>> list() const;

    // Streams a layer blob from `fd` into the blob store and unpacks it. The caller
    // holds root().ingest_lock() until the image that uses the layer is committed.
    Result<LayerRef> add_layer(int fd, std::string_view what) const;
    // Adds an image made of `config` (its diff_ids must match `layers`) and layers
    // already stored: writes the config and manifest blobs, the record, and points
    // every reference in `tags` at it. Used by import, and later by build, commit,
    // load and pull.
    Result<ImageRecord> commit(const ImageConfig& config, const std::vector<LayerRef>& layers,
                               const std::vector<std::string>& tags) const;
    // Like commit, but stores `config_json` byte for byte (so an image keeps the id it
    // had elsewhere: load, pull). Its rootfs.diff_ids must match `layers`.
    Result<ImageRecord> commit_verbatim(std::string_view config_json, const std::vector<LayerRef>& layers,
                                        const std::vector<std::string>& tags) const;
    // `docker import`: a rootfs tar (plain, gzip or zstd) read from `fd` becomes a
    // one-layer image, tagged `tag` when it is not empty.
    Result<ImageRecord> import(int fd, const std::string& tag, const ImportOptions& options) const;

    // Points the reference `target` at the image `source` resolves to.
    Result<void> tag(std::string_view source, std::string_view target) const;
    // `docker rmi`: a reference is untagged, and the image deleted when no tag is
    // left; an id deletes the image (with -f even when it has several tags). An image
    // used by a container (see set_usage_check) is refused, or with -f only untagged.
    // Blobs and layers no image uses any more are collected.
    Result<RemoveReport> remove(std::string_view ref, const RemoveOptions& options) const;
    // Removes dangling images (no tag), or with `all` every image no container uses,
    // then collects unreferenced blobs, layers, short links and scratch files.
    Result<PruneReport> prune(bool all) const;

    // The hook through which the container store tells which containers use an image
    // (their names); none is set until containers exist.
    using UsageCheck = std::function<std::vector<std::string>(const std::string& image_id)>;
    void set_usage_check(UsageCheck check) { usage_check_ = std::move(check); }

private:
    struct Index;  // repositories.json
    Result<Index> load_index() const;
    Result<void> save_index(const Index& index) const;
    Result<ImageRecord> read_record(const std::string& id, const Index& index) const;
    Result<void> write_record(const ImageRecord& record) const;
    Result<std::string> lookup(std::string_view ref, const Index& index, bool& by_name,
                               std::string& name_key) const;
    Result<int64_t> collect_garbage() const;
    std::vector<std::string> users_of(const std::string& id) const;

    store::StateRoot root_;
    store::BlobStore blobs_;
    LayerStore layers_;
    UsageCheck usage_check_;
};

}  // namespace hako::image
