// This file implements FileLock, an flock(2)-based lock on a file held for the
// lifetime of the object; the state root's lock and GC lock are built on it.
#pragma once

#include <filesystem>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::sys {

enum class LockMode { Shared, Exclusive };

class FileLock {
public:
    // Opens (creating it if needed) `path` and blocks until the lock is held.
    static Result<FileLock> acquire(const std::filesystem::path& path, LockMode mode);
    // As acquire, but fails at once with EWOULDBLOCK when someone else holds it.
    static Result<FileLock> try_acquire(const std::filesystem::path& path, LockMode mode);

    FileLock(FileLock&&) = default;
    FileLock& operator=(FileLock&&) = default;
    // Closing the fd releases the lock.
    ~FileLock() = default;

    LockMode mode() const { return mode_; }

private:
    FileLock(UniqueFd fd, LockMode mode) : fd_(std::move(fd)), mode_(mode) {}
    static Result<FileLock> take(const std::filesystem::path& path, LockMode mode, bool wait);

    UniqueFd fd_;
    LockMode mode_;
};

}  // namespace hako::sys
