// This file implements the content-addressed blob store (ROOT/blobs/sha256/<hex>):
// blobs are streamed to a temp file, hashed on the way, checked against the
// expected digest and renamed into place, so a stored blob always matches its name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/state_root.h"
#include "engine/sys/digest.h"
#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::store {

struct BlobInfo {
    std::string digest;  // "sha256:<hex>"
    int64_t size = 0;
};

// Streams one blob into ROOT/tmp; commit() publishes it. Dropped uncommitted, the
// temp file is removed.
class BlobWriter {
public:
    BlobWriter(BlobWriter&&) noexcept = default;
    BlobWriter& operator=(BlobWriter&&) noexcept = default;
    ~BlobWriter();

    Result<void> write(const void* data, size_t size);
    Result<void> write(std::string_view data) { return write(data.data(), data.size()); }
    // Copies everything readable from `fd` (a file or a pipe) into the blob.
    Result<void> write_from_fd(int fd, std::string_view what);
    int64_t size() const { return size_; }
    // Checks the content against `expected` (when given: a mismatch is an error and
    // nothing is stored), then renames it to blobs/sha256/<hex>.
    Result<BlobInfo> commit(const std::optional<std::string>& expected = std::nullopt);

private:
    friend class BlobStore;
    BlobWriter(std::filesystem::path tmp, std::filesystem::path dir, sys::UniqueFd fd)
        : tmp_(std::move(tmp)), dir_(std::move(dir)), fd_(std::move(fd)) {}
    std::filesystem::path tmp_;
    std::filesystem::path dir_;
    sys::UniqueFd fd_;
    sys::Sha256 hash_;
    int64_t size_ = 0;
};

class BlobStore {
public:
    explicit BlobStore(const StateRoot& root) : dir_(root.blobs_dir()), tmp_(root.tmp_dir()) {}

    Result<BlobWriter> writer() const;
    Result<BlobInfo> put(std::string_view data,
                         const std::optional<std::string>& expected = std::nullopt) const;
    // Reads a whole blob and checks its digest (blobs read whole are small: configs,
    // manifests); refuses blobs over max_bytes.
    Result<std::string> read(std::string_view digest, size_t max_bytes = 16u << 20) const;
    // The blob's file (it may not exist); the digest must be valid.
    Result<std::filesystem::path> path(std::string_view digest) const;
    bool has(std::string_view digest) const;
    Result<int64_t> size(std::string_view digest) const;
    // Every stored digest.
    Result<std::vector<std::string>> list() const;
    // Removes a blob; a missing blob is not an error. Callers hold the GC lock.
    Result<void> remove(std::string_view digest) const;

private:
    std::filesystem::path dir_;
    std::filesystem::path tmp_;
};

}  // namespace hako::store
