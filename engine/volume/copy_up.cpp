// This file implements the copy of image content into a new volume (copy_up.h):
// a depth-first walk over fds opened with O_NOFOLLOW, so the copy never leaves
// the source tree nor writes outside the volume.
#include "engine/volume/copy_up.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vector>

#include "engine/runtime/path_in_root.h"
#include "engine/sys/fd.h"

namespace hako::volume {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxDepth = 128;

Result<void> copy_attributes(int fd, const struct stat& st, const std::string& what) {
    if (::fchown(fd, st.st_uid, st.st_gid) != 0) return Error::from_syscall("chown", errno, what);
    if (::fchmod(fd, st.st_mode & 07777) != 0) return Error::from_syscall("chmod", errno, what);
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(fd, times) != 0) return Error::from_syscall("utimens", errno, what);
    return ok();
}

Result<void> copy_file(int source_dir, int dest_dir, const char* name, const struct stat& st, const std::string& what) {
    int in = ::openat(source_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (in < 0) return Error::from_syscall("open", errno, what);
    sys::UniqueFd in_owner(in);
    int out = ::openat(dest_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) return Error::from_syscall("create", errno, what);
    sys::UniqueFd out_owner(out);
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            n = ::sendfile(out, in, nullptr, static_cast<size_t>(left));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_syscall("copy", errno, what);
        if (n == 0) break;  // the file shrank meanwhile
        left -= n;
    }
    return copy_attributes(out, st, what);
}

Result<void> copy_entries(int source_dir, int dest_dir, const std::string& where, int depth) {
    if (depth > kMaxDepth) return Error("copy " + where + ": folders nested too deep");
    int listing = ::openat(source_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (listing < 0) return Error::from_syscall("open", errno, where);
    DIR* dir = ::fdopendir(listing);
    if (!dir) {
        ::close(listing);
        return Error::from_syscall("fdopendir", errno, where);
    }
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    for (const auto& name : names) {
        std::string what = where + "/" + name;
        struct stat st {};
        if (::fstatat(source_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return Error::from_syscall("stat", errno, what);
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(dest_dir, name.c_str(), 0700) != 0) return Error::from_syscall("mkdir", errno, what);
            int from = ::openat(source_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (from < 0) return Error::from_syscall("open", errno, what);
            sys::UniqueFd from_owner(from);
            int to = ::openat(dest_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (to < 0) return Error::from_syscall("open", errno, what);
            sys::UniqueFd to_owner(to);
            TRY(copy_entries(from, to, what, depth + 1));
            TRY(copy_attributes(to, st, what));
        } else if (S_ISREG(st.st_mode)) {
            TRY(copy_file(source_dir, dest_dir, name.c_str(), st, what));
        } else if (S_ISLNK(st.st_mode)) {
            std::vector<char> link(static_cast<size_t>(st.st_size) + 2);
            ssize_t n = ::readlinkat(source_dir, name.c_str(), link.data(), link.size() - 1);
            if (n < 0) return Error::from_syscall("readlink", errno, what);
            link[static_cast<size_t>(n)] = '\0';
            if (::symlinkat(link.data(), dest_dir, name.c_str()) != 0) return Error::from_syscall("symlink", errno, what);
            if (::fchownat(dest_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
                return Error::from_syscall("chown", errno, what);
            timespec times[2] = {st.st_atim, st.st_mtim};
            (void)::utimensat(dest_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
        } else {
            // Devices, fifos and sockets: the node itself, as tar would.
            if (::mknodat(dest_dir, name.c_str(), st.st_mode, st.st_rdev) != 0)
                return Error::from_syscall("mknod", errno, what);
            int fd = ::openat(dest_dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) return Error::from_syscall("open", errno, what);
            sys::UniqueFd owner(fd);
            if (::fchownat(dest_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
                ::fchmodat(dest_dir, name.c_str(), st.st_mode & 07777, 0) != 0)
                return Error::from_syscall("chown", errno, what);
        }
    }
    return ok();
}

}  // namespace

Result<bool> folder_is_empty(const fs::path& folder) {
    DIR* dir = ::opendir(folder.c_str());
    if (!dir) return Error::from_syscall("opendir", errno, folder.string());
    bool empty = true;
    while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") {
            empty = false;
            break;
        }
    }
    ::closedir(dir);
    return empty;
}

Result<void> copy_up(const fs::path& rootfs, const std::string& target, const fs::path& data) {
    int root = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return Error::from_syscall("open", errno, rootfs.string());
    sys::UniqueFd root_owner(root);
    auto source = runtime::open_in_root(root, target, O_RDONLY | O_DIRECTORY);
    if (!source.ok()) {
        int err = source.error().errno_value;
        if (err == ENOENT || err == ENOTDIR) return ok();  // nothing in the image there
        return std::move(source).error();
    }
    int dest = ::open(data.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dest < 0) return Error::from_syscall("open", errno, data.string());
    sys::UniqueFd dest_owner(dest);
    TRY(copy_entries(source->get(), dest, target, 0));
    struct stat st {};
    if (::fstat(source->get(), &st) != 0) return Error::from_syscall("stat", errno, target);
    // The volume root takes the image folder's owner and mode (times stay the volume's).
    if (::fchown(dest, st.st_uid, st.st_gid) != 0) return Error::from_syscall("chown", errno, data.string());
    if (::fchmod(dest, st.st_mode & 07777) != 0) return Error::from_syscall("chmod", errno, data.string());
    return ok();
}

}  // namespace hako::volume
