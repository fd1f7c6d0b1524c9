// This file implements StateRoot (see state_root.h): layout creation and locks.
#include "engine/store/state_root.h"

#include <sys/stat.h>

#include <mutex>
#include <set>
#include <string>
#include <system_error>

namespace hako::store {

namespace {
Result<void> ensure_dir(const std::filesystem::path& dir, mode_t mode) {
    if (::mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) return Error::from_syscall("stat", errno, dir.string());
        if (!S_ISDIR(st.st_mode)) return Error(dir.string() + ": exists and is not a directory");
        return ok();
    }
    return Error::from_syscall("mkdir", errno, dir.string());
}

// Folders this process found complete once (a root, a root's container folders):
// one command opens its root three or four times, and a container's monitor runs
// in its CLI's memory, so each check after the first costs nothing. A folder
// removed later makes the call that needs it fail with its own error.
std::mutex checked_mutex;
std::set<std::string> checked;
}  // namespace

bool checked_once(const std::string& key) {
    std::lock_guard<std::mutex> lock(checked_mutex);
    return checked.count(key) != 0;
}

void remember_checked(const std::string& key) {
    std::lock_guard<std::mutex> lock(checked_mutex);
    checked.insert(key);
}

Result<StateRoot> StateRoot::open(const std::filesystem::path& root_arg) {
    if (root_arg.empty()) return Error("state root: empty path");
    std::error_code ec;
    std::filesystem::path root = std::filesystem::absolute(root_arg, ec).lexically_normal();
    if (ec) return Error("state root " + root_arg.string() + ": " + ec.message());
    if (root.has_filename() == false && root != root.root_path()) root = root.parent_path();

    std::filesystem::path run = root == kDefaultRoot ? std::filesystem::path("/run/hako") : root / "run";
    StateRoot sr(root, run);
    if (checked_once(root.string())) return sr;
    // A root made before has every folder: the one made last (tmp) and the run
    // folder say so in two calls, where the full check is some twenty, and one
    // hako command opens the root three or four times.
    struct stat tmp {}, run_st {};
    if (::stat(sr.tmp_dir().c_str(), &tmp) == 0 && S_ISDIR(tmp.st_mode) && ::stat(run.c_str(), &run_st) == 0 &&
        S_ISDIR(run_st.st_mode)) {
        remember_checked(root.string());
        return sr;
    }

    std::filesystem::create_directories(root, ec);
    if (ec) return Error("state root " + root.string() + ": " + ec.message());
    TRY(ensure_dir(root, 0711));
    TRY(ensure_dir(root / "blobs", 0700));
    TRY(ensure_dir(sr.blobs_dir(), 0700));
    TRY(ensure_dir(sr.images_dir(), 0700));
    TRY(ensure_dir(sr.layers_dir(), 0711));
    TRY(ensure_dir(sr.links_dir(), 0711));
    TRY(ensure_dir(sr.tmp_dir(), 0700));
    std::filesystem::create_directories(run, ec);
    if (ec) return Error("run folder " + run.string() + ": " + ec.message());
    remember_checked(root.string());
    return sr;
}

Result<sys::FileLock> StateRoot::lock() const {
    auto l = sys::FileLock::acquire(root_ / "lock", sys::LockMode::Exclusive);
    if (!l.ok()) return std::move(l).error().context("locking the state root");
    return l;
}

Result<sys::FileLock> StateRoot::ingest_lock() const {
    return sys::FileLock::acquire(root_ / "gc.lock", sys::LockMode::Shared);
}

Result<sys::FileLock> StateRoot::gc_lock() const {
    return sys::FileLock::acquire(root_ / "gc.lock", sys::LockMode::Exclusive);
}

Result<sys::TempDir> StateRoot::make_temp(const std::string& prefix) const {
    return sys::TempDir::create(tmp_dir(), prefix);
}

}  // namespace hako::store
