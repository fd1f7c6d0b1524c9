// This file implements the confined path helpers of safe_path.h on openat2(2).
#include "engine/sys/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hako::sys {

Result<std::vector<std::string>> split_confined(std::string_view path) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) slash = path.size();
        std::string_view part = path.substr(pos, slash - pos);
        pos = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (out.empty()) return Error("path \"" + std::string(path) + "\" climbs above the root");
            out.pop_back();
            continue;
        }
        out.emplace_back(part);
    }
    return out;
}

std::string join_components(const std::vector<std::string>& components, size_t count) {
    if (count == 0) return ".";
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        if (i) out += '/';
        out += components[i];
    }
    return out;
}

Result<UniqueFd> open_confined(int root_fd, std::string_view path, int flags, mode_t mode,
                               Resolve resolve) {
    struct open_how how {};
    how.flags = uint64_t(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_NO_MAGICLINKS |
                  (resolve == Resolve::Beneath ? RESOLVE_BENEATH : RESOLVE_IN_ROOT);
    std::string p(path.empty() ? "." : path);
    while (true) {
        long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
        if (fd >= 0) return UniqueFd(int(fd));
        if (errno == EINTR || errno == EAGAIN) continue;
        if (errno == EXDEV) return Error("path \"" + p + "\" escapes the root", ExitCode::Failure);
        return Error::from_syscall("openat2", errno, p);
    }
}

Result<UniqueFd> mkdir_all_beneath(int root_fd, const std::vector<std::string>& components,
                                   size_t count) {
    // Fast path: the folder usually exists already.
    std::string full = join_components(components, count);
    auto direct = open_confined(root_fd, full, O_PATH | O_DIRECTORY, 0, Resolve::Beneath);
    if (direct.ok() || direct.error().errno_value != ENOENT) return direct;

    UniqueFd current = TRY(open_confined(root_fd, ".", O_PATH | O_DIRECTORY, 0, Resolve::Beneath));
    for (size_t i = 0; i < count; ++i) {
        std::string prefix = join_components(components, i + 1);
        auto next = open_confined(root_fd, prefix, O_PATH | O_DIRECTORY, 0, Resolve::Beneath);
        if (!next.ok()) {
            if (next.error().errno_value != ENOENT) return std::move(next).error();
            if (::mkdirat(current.get(), components[i].c_str(), 0755) != 0 && errno != EEXIST) {
                return Error::from_syscall("mkdir", errno, prefix);
            }
            next = open_confined(root_fd, prefix, O_PATH | O_DIRECTORY, 0, Resolve::Beneath);
            if (!next.ok()) return std::move(next).error();
        }
        current = std::move(next.value());
    }
    return current;
}

}  // namespace hako::sys
