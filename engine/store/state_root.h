// This file implements StateRoot: the engine's state folder (--root) and its fixed
// layout, the locks that order writers, and the run folder for what dies at reboot.
// docs/formats.md is the normative description of the layout.
#pragma once

#include <filesystem>
#include <string>

#include "engine/sys/error.h"
#include "engine/sys/lock.h"
#include "engine/sys/tempdir.h"

namespace hako::store {

inline constexpr const char* kDefaultRoot = "/var/lib/hako";

// Whether this process already found the folders named by `key` complete (a
// folder's path: StateRoot::open's root, ContainerStore::open's containers
// folder), and saying that it did: each check after a process's first is skipped
// (a container's monitor shares its CLI's memory).
bool checked_once(const std::string& key);
void remember_checked(const std::string& key);

class StateRoot {
public:
    // Opens ROOT, creating it and its layout (blobs/sha256, images, layers, l, tmp,
    // run) as needed. The run folder is /run/hako for the default root and ROOT/run
    // for any other root, so tests with their own --root never share it.
    static Result<StateRoot> open(const std::filesystem::path& root);

    const std::filesystem::path& path() const { return root_; }
    std::filesystem::path blobs_dir() const { return root_ / "blobs" / "sha256"; }
    std::filesystem::path images_dir() const { return root_ / "images"; }
    std::filesystem::path layers_dir() const { return root_ / "layers"; }
    std::filesystem::path links_dir() const { return root_ / "l"; }
    std::filesystem::path tmp_dir() const { return root_ / "tmp"; }
    // Emptied folders of removed containers waiting for the next create
    // (engine/container/spare.h); made by the first removal that keeps one.
    std::filesystem::path spare_dir() const { return root_ / "spare"; }
    const std::filesystem::path& run_dir() const { return run_; }

    // The root lock (ROOT/lock, exclusive): held by every change to a record or to
    // the set of published blobs, layers and links; held briefly.
    Result<sys::FileLock> lock() const;
    // ROOT/gc.lock shared: held by a writer for the whole time it has content in
    // flight that no record references yet (a blob or layer being imported).
    Result<sys::FileLock> ingest_lock() const;
    // ROOT/gc.lock exclusive: held by garbage collection, so it never removes
    // content that an import is about to reference.
    Result<sys::FileLock> gc_lock() const;

    // A private scratch folder under ROOT/tmp, on the same file system as the
    // store so finished content can be renamed into place.
    Result<sys::TempDir> make_temp(const std::string& prefix) const;

private:
    StateRoot(std::filesystem::path root, std::filesystem::path run)
        : root_(std::move(root)), run_(std::move(run)) {}
    std::filesystem::path root_;
    std::filesystem::path run_;
};

}  // namespace hako::store
