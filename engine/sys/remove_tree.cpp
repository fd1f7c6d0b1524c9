// This file implements remove_tree (remove_tree.h) on openat/getdents64/unlinkat.
#include "engine/sys/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "engine/sys/fd.h"

namespace hako::sys {
namespace {

struct LinuxDirent64 {
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

constexpr int kMaxDepth = 4096;  // each level holds an fd: EMFILE comes first

// Empties the folder `name` under `parent` and removes it.
int remove_below(int parent, const char* name, int depth);

// Removes one entry of `dir`: a file or link by unlinkat, a folder (or an entry
// whose type the filesystem does not report and that turns out to be one) by recursion.
int remove_entry(int dir, const char* name, unsigned char type, int depth) {
    if (type != DT_DIR) {
        if (::unlinkat(dir, name, 0) == 0 || errno == ENOENT) return 0;
        if (errno != EISDIR && !(type == DT_UNKNOWN && errno == EPERM)) return errno;
    }
    return remove_below(dir, name, depth + 1);
}

int remove_below(int parent, const char* name, int depth) {
    if (depth > kMaxDepth) return ELOOP;
    UniqueFd dir(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return errno == ENOENT ? 0 : errno;
    constexpr size_t kBufferSize = 16384;
    std::unique_ptr<char[]> storage(new char[kBufferSize]);  // operator new aligns for the entries
    char* buffer = storage.get();
    for (;;) {
        long n = ::syscall(SYS_getdents64, dir.get(), buffer, kBufferSize);
        if (n < 0) return errno;
        if (n == 0) break;
        for (long at = 0; at < n;) {
            auto* entry = reinterpret_cast<LinuxDirent64*>(buffer + at);
            at += entry->d_reclen;
            if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
            if (int error = remove_entry(dir.get(), entry->d_name, entry->d_type, depth)) return error;
        }
    }
    dir.reset();
    if (::unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return errno;
    return 0;
}

}  // namespace

Result<void> remove_tree(const std::filesystem::path& path) {
    std::string parent = path.has_parent_path() ? path.parent_path().string() : std::string(".");
    std::string name = path.filename().string();
    if (name.empty() || name == "." || name == "..") return Error("remove " + path.string() + ": not a removable path");
    UniqueFd parent_fd(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!parent_fd) {
        if (errno == ENOENT) return ok();
        return Error::from_syscall("open", errno, parent);
    }
    if (int error = remove_entry(parent_fd.get(), name.c_str(), DT_UNKNOWN, 0))
        return Error::from_syscall("remove", error, path.string());
    return ok();
}

}  // namespace hako::sys
