// This file implements read_file and write_file_atomic (see file.h).
#include "engine/sys/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>

namespace hako::sys {

namespace {
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string human_size(size_t bytes) {
    char buf[32];
    if (bytes >= (1u << 20)) {
        std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1u << 20));
    } else {
        std::snprintf(buf, sizeof buf, "%zu bytes", bytes);
    }
    return buf;
}

// Renames `tmp` over `path`; on failure `tmp` is removed.
Result<void> rename_or_drop(const std::string& tmp, const std::filesystem::path& path) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return Error::from_syscall("rename", err, path.string());
    }
    return ok();
}

// Puts the written `tmp` in place of `path` without making ext4 write it out. A
// rename over an existing file makes ext4 (auto_da_alloc) allocate and write the
// new file's blocks at once, and deleting it later frees them, a synchronous
// discard with this root fs's `discard` option: a state file rewritten once and
// deleted with its --rm container cost ~4.5 ms, ~0.1 ms this way. The exchange
// is as atomic for readers as the rename; the old content then goes with `tmp`.
Result<void> replace_volatile(const std::string& tmp, const std::filesystem::path& path) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
        if (::unlink(tmp.c_str()) == 0 || errno == ENOENT) return ok();
        int err = errno;
        // `path` was not a file (a folder is now at `tmp`): undo, as rename would have refused.
        (void)::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE);
        ::unlink(tmp.c_str());
        return Error::from_syscall("rename", err, path.string());
    }
    // ENOENT: nothing to replace yet; EINVAL: a filesystem without exchange.
    return rename_or_drop(tmp, path);
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path, size_t max_bytes) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) return Error::from_syscall("open", errno, path.string());
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) return Error::from_syscall("stat", errno, path.string());
    if (S_ISDIR(st.st_mode)) {
        Error error(path.string() + ": is a directory");
        error.errno_value = EISDIR;
        return error;
    }
    if (S_ISREG(st.st_mode) && size_t(st.st_size) > max_bytes) {
        return Error(path.string() + ": file is " + human_size(size_t(st.st_size)) +
                     ", larger than the limit of " + human_size(max_bytes));
    }
    // Straight into the string, no buffer on the stack: a 64 KiB one there made
    // every read touch a page 64 KiB below the caller, on a clone's stack too,
    // where each page touched first costs a fault in this kind of VM. A regular
    // file is read at its size, plus one byte to see the end in the same call;
    // files whose size says nothing (/proc) grow the string by doubling.
    std::string out;
    const size_t expected = S_ISREG(st.st_mode) ? size_t(st.st_size) : 0;
    size_t used = 0, chunk = 4096;
    while (true) {
        const size_t want = used < expected ? expected - used + 1 : chunk;
        if (out.size() < used + want) out.resize(used + want);
        ssize_t n = ::read(fd.fd, out.data() + used, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_syscall("read", errno, path.string());
        }
        used += size_t(n);
        if (used > max_bytes) {
            return Error(path.string() + ": larger than the limit of " + human_size(max_bytes));
        }
        // A short read of a file with a size, once that size is in, is its end;
        // anything else (/proc's files say 0 and read short) reads to 0.
        if (n == 0 || (expected > 0 && size_t(n) < want && used >= expected)) break;
        if (used >= expected && size_t(n) == want) chunk = std::min<size_t>(chunk * 2, size_t(1) << 20);
    }
    out.resize(used);
    return out;
}

Result<void> write_over(int fd, std::string_view content, const std::string& name) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Error::from_syscall("stat", errno, name);
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error::from_syscall("write", n < 0 ? errno : EIO, name);
        done += static_cast<size_t>(n);
    }
    if (st.st_size > static_cast<off_t>(content.size()) && ::ftruncate(fd, static_cast<off_t>(content.size())) != 0)
        return Error::from_syscall("truncate", errno, name);
    return ok();
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                               unsigned mode, Durability durability) {
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    const std::string name = path.filename().string();
    std::string tmp =
        (dir / ("." + name + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000))).string();
    {
        // A volatile file takes the spare one a recycled container folder keeps
        // (file.h): written over and cut to size, not made and later deleted.
        int fd = -1;
        if (durability == Durability::Volatile &&
            ::rename((dir / ("." + name + kSpareSuffix)).c_str(), tmp.c_str()) == 0) {
            fd = ::open(tmp.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
            struct stat st {};
            if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
                ((st.st_mode & 07777) != mode && ::fchmod(fd, mode) != 0)) {
                if (fd >= 0) ::close(fd);
                fd = -1;
                ::unlink(tmp.c_str());
            }
        }
        if (fd < 0) fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        Fd owner(fd);
        if (owner.fd < 0) return Error::from_syscall("open", errno, tmp);
        if (auto written = write_over(owner.fd, content, tmp); !written.ok()) {
            ::unlink(tmp.c_str());
            return std::move(written).error();
        }
        if (durability == Durability::Durable && ::fsync(owner.fd) != 0) {
            int err = errno;
            ::unlink(tmp.c_str());
            return Error::from_syscall("fsync", err, tmp);
        }
    }
    if (durability == Durability::Volatile) return replace_volatile(tmp, path);
    TRY(rename_or_drop(tmp, path));
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.fd >= 0) ::fsync(dfd.fd);
    return ok();
}

}  // namespace hako::sys
