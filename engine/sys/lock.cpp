// This file implements FileLock (see lock.h) with flock(2), retrying on EINTR.
#include "engine/sys/lock.h"

#include <fcntl.h>
#include <sys/file.h>

namespace hako::sys {

Result<FileLock> FileLock::take(const std::filesystem::path& path, LockMode mode, bool wait) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::from_syscall("open", errno, path.string());
    int op = (mode == LockMode::Exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    while (::flock(fd.get(), op) != 0) {
        if (errno == EINTR) continue;
        return Error::from_syscall("flock", errno, path.string());
    }
    return FileLock(std::move(fd), mode);
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& path, LockMode mode) {
    return take(path, mode, true);
}

Result<FileLock> FileLock::try_acquire(const std::filesystem::path& path, LockMode mode) {
    return take(path, mode, false);
}

}  // namespace hako::sys
