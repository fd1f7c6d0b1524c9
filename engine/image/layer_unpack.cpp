// This file implements unpack_layer (see layer_unpack.h): one pass over the input
// with libarchive, where an outer "raw" reader decompresses and an inner tar reader
// extracts, so the uncompressed stream is hashed (the diff id) as it goes by.
#include "engine/image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/safe_path.h"

namespace hako::image {

namespace {

using sys::UniqueFd;

struct ArchiveFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// The decompressed stream, fed to the tar reader and hashed on the way.
struct Source {
    archive* outer = nullptr;
    sys::Sha256 hash;
    int64_t bytes = 0;
    std::vector<char> buffer = std::vector<char>(1 << 17);
};

la_ssize_t read_decompressed(archive* inner, void* context, const void** block) {
    auto* source = static_cast<Source*>(context);
    la_ssize_t n = archive_read_data(source->outer, source->buffer.data(), source->buffer.size());
    if (n < 0) {
        archive_set_error(inner, EIO, "%s", archive_error_string(source->outer));
        return ARCHIVE_FATAL;
    }
    source->hash.update(source->buffer.data(), size_t(n));
    source->bytes += n;
    *block = source->buffer.data();
    return n;
}

struct DirTimes {
    std::string path;
    struct timespec times[2];
};

class Extractor {
public:
    Extractor(int root_fd, archive* tar) : root_fd_(root_fd), tar_(tar), privileged_(::geteuid() == 0) {}

    Result<void> entry(archive_entry* e, UnpackResult& result);
    Result<void> finish();

private:
    Result<void> whiteout(int parent_fd, const std::vector<std::string>& comps, const std::string& name);
    Result<void> clear_for(int parent_fd, const std::string& leaf, bool want_dir, bool& is_dir);
    Result<void> write_data(int fd, const std::string& name);
    Result<void> set_owner(int dirfd, const char* leaf, uid_t uid, gid_t gid, int flags, const std::string& name);
    Result<void> set_xattrs(int fd, archive_entry* e, const std::string& name);

    int root_fd_;
    archive* tar_;
    bool privileged_;
    std::vector<DirTimes> dir_times_;
};

Error entry_error(const std::string& name, std::string why) {
    return Error("layer entry \"" + name + "\": " + std::move(why));
}

Error entry_syscall(const std::string& name, const char* call, int err) {
    Error e = Error::from_syscall(call, err);
    e.message = "layer entry \"" + name + "\": " + e.message;
    return e;
}

struct timespec entry_mtime(archive_entry* e) {
    struct timespec t {};
    t.tv_sec = archive_entry_mtime(e);
    t.tv_nsec = archive_entry_mtime_nsec(e);
    return t;
}

struct timespec entry_atime(archive_entry* e) {
    if (!archive_entry_atime_is_set(e)) return entry_mtime(e);
    struct timespec t {};
    t.tv_sec = archive_entry_atime(e);
    t.tv_nsec = archive_entry_atime_nsec(e);
    return t;
}

Result<void> Extractor::set_owner(int dirfd, const char* leaf, uid_t uid, gid_t gid, int flags,
                                  const std::string& name) {
    if (::fchownat(dirfd, leaf, uid, gid, flags) != 0) {
        // Without root an extraction keeps the caller's ownership (rootless use).
        if (errno == EPERM && !privileged_) return ok();
        return entry_syscall(name, "chown", errno);
    }
    return ok();
}

Result<void> Extractor::set_xattrs(int fd, archive_entry* e, const std::string& name) {
    archive_entry_xattr_reset(e);
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
        std::string_view k(key);
        if (k.substr(0, 16) == "trusted.overlay.") continue;
        if (::fsetxattr(fd, key, value, size, 0) != 0) {
            if (errno == ENOTSUP || (errno == EPERM && !privileged_)) continue;
            return entry_syscall(name, "setxattr", errno);
        }
    }
    return ok();
}

Result<void> Extractor::write_data(int fd, const std::string& name) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while (true) {
        int r = archive_read_data_block(tar_, &block, &size, &offset);
        if (r == ARCHIVE_EOF) return ok();
        if (r < ARCHIVE_WARN) return entry_error(name, archive_error_string(tar_));
        const char* p = static_cast<const char*>(block);
        while (size > 0) {
            ssize_t n = ::pwrite(fd, p, size, offset);
            if (n < 0) {
                if (errno == EINTR) continue;
                return entry_syscall(name, "write", errno);
            }
            p += n;
            size -= size_t(n);
            offset += n;
        }
    }
}

// Makes room for a new entry named `leaf`: an existing folder stays when the new
// entry is a folder too (tar merges); anything else is removed first.
Result<void> Extractor::clear_for(int parent_fd, const std::string& leaf, bool want_dir, bool& is_dir) {
    is_dir = false;
    struct stat st {};
    if (::fstatat(parent_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return ok();
        return Error::from_syscall("stat", errno, leaf);
    }
    if (S_ISDIR(st.st_mode)) {
        if (want_dir) {
            is_dir = true;
            return ok();
        }
        if (::unlinkat(parent_fd, leaf.c_str(), AT_REMOVEDIR) != 0) {
            return Error::from_syscall("rmdir", errno, leaf);
        }
        return ok();
    }
    if (::unlinkat(parent_fd, leaf.c_str(), 0) != 0) return Error::from_syscall("unlink", errno, leaf);
    return ok();
}

Result<void> Extractor::whiteout(int parent_fd, const std::vector<std::string>& comps,
                                 const std::string& name) {
    const std::string& leaf = comps.back();
    if (leaf == ".wh..wh..opq") {
        UniqueFd dir = TRY(sys::open_confined(root_fd_, sys::join_components(comps, comps.size() - 1),
                                              O_RDONLY | O_DIRECTORY, 0, sys::Resolve::Beneath));
        if (::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
            return entry_syscall(name, "setxattr trusted.overlay.opaque", errno);
        }
        return ok();
    }
    std::string target = leaf.substr(4);
    if (target.empty() || target == "." || target == ".." || target.find('/') != std::string::npos) {
        return entry_error(name, "bad whiteout name");
    }
    bool is_dir = false;
    auto cleared = clear_for(parent_fd, target, false, is_dir);
    if (!cleared.ok()) return entry_error(name, cleared.error().message);
    if (::mknodat(parent_fd, target.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
        return entry_syscall(name, "mknod (whiteout)", errno);
    }
    return ok();
}

Result<void> Extractor::entry(archive_entry* e, UnpackResult& result) {
    const char* raw_name = archive_entry_pathname(e);
    if (!raw_name) return Error("layer entry without a name");
    std::string name(raw_name);
    auto split = sys::split_confined(name);
    if (!split.ok()) return entry_error(name, "its path climbs out of the layer with \"..\"");
    std::vector<std::string> comps = std::move(split.value());
    ++result.entries;

    const char* hardlink = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    mode_t perm = archive_entry_perm(e) & 07777;
    uid_t uid = uid_t(archive_entry_uid(e));
    gid_t gid = gid_t(archive_entry_gid(e));
    struct timespec times[2] = {entry_atime(e), entry_mtime(e)};

    if (comps.empty()) {
        // "./": the layer's root folder itself.
        if (type != AE_IFDIR || hardlink) return entry_error(name, "the root of a layer must be a folder");
        UniqueFd dir = TRY(sys::open_confined(root_fd_, ".", O_RDONLY | O_DIRECTORY, 0, sys::Resolve::Beneath));
        TRY(set_owner(dir.get(), "", uid, gid, AT_EMPTY_PATH, name));
        if (::fchmod(dir.get(), perm) != 0) return entry_syscall(name, "chmod", errno);
        TRY(set_xattrs(dir.get(), e, name));
        dir_times_.push_back({".", {times[0], times[1]}});
        return ok();
    }
    // aufs metadata (".wh..wh.plnk" and friends) has no meaning in an overlay layer.
    if (comps.front().rfind(".wh..wh.", 0) == 0) return ok();

    auto parent_result = sys::mkdir_all_beneath(root_fd_, comps, comps.size() - 1);
    if (!parent_result.ok()) return entry_error(name, parent_result.error().message);
    UniqueFd parent = std::move(parent_result.value());
    const std::string& leaf = comps.back();

    if (leaf.rfind(".wh.", 0) == 0) return whiteout(parent.get(), comps, name);

    bool want_dir = !hardlink && type == AE_IFDIR;
    bool existing_dir = false;
    auto cleared = clear_for(parent.get(), leaf, want_dir, existing_dir);
    if (!cleared.ok()) return entry_error(name, cleared.error().message);

    if (hardlink) {
        auto target_split = sys::split_confined(hardlink);
        if (!target_split.ok() || target_split->empty()) {
            return entry_error(name, std::string("hardlink target \"") + hardlink + "\" is outside the layer");
        }
        const auto& target = target_split.value();
        auto target_parent = sys::open_confined(root_fd_, sys::join_components(target, target.size() - 1),
                                                O_PATH | O_DIRECTORY, 0, sys::Resolve::Beneath);
        if (!target_parent.ok()) {
            return entry_error(name, std::string("hardlink target \"") + hardlink +
                                         "\": " + target_parent.error().message);
        }
        if (::linkat(target_parent->get(), target.back().c_str(), parent.get(), leaf.c_str(), 0) != 0) {
            return entry_syscall(name, "link", errno);
        }
        return ok();
    }

    switch (type) {
    case AE_IFREG: {
        UniqueFd fd(::openat(parent.get(), leaf.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) return entry_syscall(name, "open", errno);
        TRY(write_data(fd.get(), name));
        if (archive_entry_size_is_set(e) && ::ftruncate(fd.get(), archive_entry_size(e)) != 0) {
            return entry_syscall(name, "truncate", errno);
        }
        result.content_size += archive_entry_size(e);
        TRY(set_owner(fd.get(), "", uid, gid, AT_EMPTY_PATH, name));
        if (::fchmod(fd.get(), perm) != 0) return entry_syscall(name, "chmod", errno);
        TRY(set_xattrs(fd.get(), e, name));
        if (::futimens(fd.get(), times) != 0) return entry_syscall(name, "utimens", errno);
        return ok();
    }
    case AE_IFDIR: {
        if (!existing_dir && ::mkdirat(parent.get(), leaf.c_str(), 0700) != 0) {
            return entry_syscall(name, "mkdir", errno);
        }
        UniqueFd fd(::openat(parent.get(), leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return entry_syscall(name, "open", errno);
        TRY(set_owner(fd.get(), "", uid, gid, AT_EMPTY_PATH, name));
        if (::fchmod(fd.get(), perm) != 0) return entry_syscall(name, "chmod", errno);
        TRY(set_xattrs(fd.get(), e, name));
        dir_times_.push_back({sys::join_components(comps), {times[0], times[1]}});
        return ok();
    }
    case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (!target) return entry_error(name, "symlink without a target");
        if (::symlinkat(target, parent.get(), leaf.c_str()) != 0) return entry_syscall(name, "symlink", errno);
        TRY(set_owner(parent.get(), leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW, name));
        if (::utimensat(parent.get(), leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
            return entry_syscall(name, "utimens", errno);
        }
        return ok();
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
        dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (::mknodat(parent.get(), leaf.c_str(), type | perm, dev) != 0) {
            return entry_syscall(name, "mknod", errno);
        }
        // The node was just made by us in a folder only we write to, so following
        // the name for chmod cannot reach anything else.
        TRY(set_owner(parent.get(), leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW, name));
        if (::fchmodat(parent.get(), leaf.c_str(), perm, 0) != 0) return entry_syscall(name, "chmod", errno);
        if (::utimensat(parent.get(), leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
            return entry_syscall(name, "utimens", errno);
        }
        return ok();
    }
    default:
        // Sockets and unknown types have no place in an image layer.
        return ok();
    }
}

Result<void> Extractor::finish() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
        auto fd = sys::open_confined(root_fd_, it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                                     sys::Resolve::Beneath);
        if (!fd.ok()) continue;  // replaced later in the tar by a non-folder
        if (::futimens(fd->get(), it->times) != 0) return entry_syscall(it->path, "utimens", errno);
    }
    return ok();
}

}  // namespace

const char* compression_name(Compression compression) {
    switch (compression) {
    case Compression::None: return "none";
    case Compression::Gzip: return "gzip";
    case Compression::Zstd: return "zstd";
    case Compression::Other: return "other";
    }
    return "other";
}

Result<UnpackResult> unpack_layer(int input_fd, const std::filesystem::path& dest) {
    UniqueFd root(::open(dest.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return Error::from_syscall("open", errno, dest.string());

    ArchivePtr outer(archive_read_new());
    ArchivePtr tar(archive_read_new());
    if (!outer || !tar) return Error("libarchive: out of memory");
    archive_read_support_filter_all(outer.get());
    archive_read_support_format_raw(outer.get());
    if (archive_read_open_fd(outer.get(), input_fd, 1 << 17) != ARCHIVE_OK) {
        return Error(std::string("layer: ") + archive_error_string(outer.get()));
    }
    archive_entry* raw_entry = nullptr;
    int r = archive_read_next_header(outer.get(), &raw_entry);
    if (r == ARCHIVE_EOF) return Error("layer: the input is empty");
    if (r < ARCHIVE_WARN) return Error(std::string("layer: ") + archive_error_string(outer.get()));

    UnpackResult result;
    switch (archive_filter_code(outer.get(), 0)) {
    case ARCHIVE_FILTER_NONE: result.compression = Compression::None; break;
    case ARCHIVE_FILTER_GZIP: result.compression = Compression::Gzip; break;
    case ARCHIVE_FILTER_ZSTD: result.compression = Compression::Zstd; break;
    default: result.compression = Compression::Other; break;
    }

    Source source;
    source.outer = outer.get();
    archive_read_support_format_tar(tar.get());
    if (archive_read_open(tar.get(), &source, nullptr, read_decompressed, nullptr) != ARCHIVE_OK) {
        return Error(std::string("layer: ") + archive_error_string(tar.get()));
    }
    Extractor extractor(root.get(), tar.get());
    while (true) {
        archive_entry* e = nullptr;
        r = archive_read_next_header(tar.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return Error(std::string("layer: not a valid tar: ") + archive_error_string(tar.get()));
        TRY(extractor.entry(e, result));
    }
    TRY(extractor.finish());
    // The tar reader stops at the end-of-archive blocks; the diff id covers every
    // byte of the uncompressed stream, so hash what is left.
    while (true) {
        const void* block = nullptr;
        la_ssize_t n = read_decompressed(tar.get(), &source, &block);
        if (n < 0) return Error(std::string("layer: ") + archive_error_string(outer.get()));
        if (n == 0) break;
    }
    result.tar_size = source.bytes;
    result.diff_id = source.hash.digest_final();
    return result;
}

}  // namespace hako::image
