// This file implements confined path resolution for the runtime with openat2
// RESOLVE_IN_ROOT: creating mount points and reading files inside a rootfs.
#include "engine/runtime/path_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <deque>
#include <vector>

namespace hako::runtime {
namespace {

std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> parts;
    std::string current;
    for (char c : path) {
        if (c == '/') {
            if (!current.empty() && current != ".") parts.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty() && current != ".") parts.push_back(current);
    return parts;
}

std::string relative(const std::string& path) {
    std::string out;
    for (const auto& part : components(path)) out += (out.empty() ? "" : "/") + part;
    return out.empty() ? "." : out;
}

}  // namespace

Result<sys::UniqueFd> open_in_root(int root_fd, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = relative(path);
    int fd;
    do {
        fd = static_cast<int>(syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
    } while (fd < 0 && errno == EAGAIN);
    if (fd < 0) return Error::from_syscall("openat2", errno, path);
    return sys::UniqueFd(fd);
}

namespace {

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
    return out.empty() ? "." : out;
}

}  // namespace

Result<sys::UniqueFd> ensure_in_root(int root_fd, const std::string& path, NodeKind kind) {
    // Most targets exist already (/proc, /dev, /sys of any image; /dev/pts once /dev
    // is mounted): one confined open finds them, where the walk below costs four
    // calls per component. A missing or wrongly typed one takes the walk.
    auto existing = open_in_root(root_fd, path, O_PATH | (kind == NodeKind::Directory ? O_DIRECTORY : 0));
    if (existing.ok()) return existing;
    // Walks one component at a time from the root. A symlink on the way (also a
    // dangling one, planted in the image or a volume) is read and its target walked
    // instead, from the root when absolute, so the folders it names are created
    // inside the root, never outside: what runc's MkdirAllInRoot does.
    std::deque<std::string> pending;
    for (auto& part : components(path)) pending.push_back(std::move(part));
    std::vector<std::string> resolved;
    int links = 0;
    while (!pending.empty()) {
        std::string part = std::move(pending.front());
        pending.pop_front();
        if (part == "..") {
            if (!resolved.empty()) resolved.pop_back();
            continue;
        }
        bool last = pending.empty();
        auto parent = TRY(open_in_root(root_fd, join(resolved), O_PATH | O_DIRECTORY));
        struct stat st {};
        if (fstatat(parent.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (S_ISLNK(st.st_mode)) {
                if (++links > 40) return Error::from_syscall("resolve", ELOOP, path);
                char target[4096];
                ssize_t n = readlinkat(parent.get(), part.c_str(), target, sizeof target - 1);
                if (n < 0) return Error::from_syscall("readlink", errno, path);
                target[n] = '\0';
                auto link_parts = components(target);
                if (target[0] == '/') resolved.clear();
                pending.insert(pending.begin(), link_parts.begin(), link_parts.end());
                continue;
            }
            resolved.push_back(std::move(part));
            continue;
        }
        if (errno != ENOENT) return Error::from_syscall("stat", errno, path);
        if (!last || kind == NodeKind::Directory) {
            if (mkdirat(parent.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
                return Error::from_syscall("mkdir", errno, path);
        } else {
            int fd = openat(parent.get(), part.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0 && errno != EEXIST) return Error::from_syscall("create", errno, path);
            if (fd >= 0) ::close(fd);
        }
        resolved.push_back(std::move(part));
    }
    return open_in_root(root_fd, join(resolved), O_PATH);
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<std::string> read_file_in_root(const std::filesystem::path& root, const std::string& path) {
    int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) return Error::from_syscall("open", errno, root.string());
    sys::UniqueFd root_owner(root_fd);
    auto fd = TRY(open_in_root(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return Error::from_syscall("fstat", errno, path);
    if (!S_ISREG(st.st_mode)) return Error(path + ": not a regular file");
    std::string content;
    char buffer[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_syscall("read", errno, path);
        }
        if (n == 0) break;
        content.append(buffer, static_cast<size_t>(n));
        if (content.size() > (4u << 20)) return Error(path + ": file too large");
    }
    return content;
}

}  // namespace hako::runtime
