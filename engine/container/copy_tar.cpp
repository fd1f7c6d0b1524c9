// This file implements the copy streams of copy_tar.h on libarchive: a tree walker
// over O_PATH fds, a tar reader, a tar writer and an fd-confined extractor.
#include "engine/container/copy_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>

#include "engine/sys/safe_path.h"

namespace hako::container {

namespace {

using sys::UniqueFd;

struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

std::string proc_fd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<size_t> no_data(char*, size_t) { return size_t(0); }

// --- sinks -------------------------------------------------------------------------

class TarSink final : public EntrySink {
public:
    explicit TarSink(archive* a) : a_(a) {}
    ~TarSink() override { archive_write_free(a_); }

    Result<void> put(archive_entry* entry, const DataReader& data) override {
        if (archive_write_header(a_, entry) < ARCHIVE_WARN) return error("write tar header");
        if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_size(entry) <= 0) return ok();
        int64_t left = archive_entry_size(entry);
        std::vector<char> buffer(1 << 17);
        while (left > 0) {
            size_t n = TRY(data(buffer.data(), std::min<size_t>(buffer.size(), size_t(left))));
            if (n == 0) return Error(std::string(archive_entry_pathname(entry)) + ": file shrank while it was copied");
            if (archive_write_data(a_, buffer.data(), n) < 0) return error("write tar data");
            left -= int64_t(n);
        }
        return ok();
    }
    Result<void> finish() override {
        if (archive_write_close(a_) != ARCHIVE_OK) return error("write tar");
        return ok();
    }

private:
    Error error(const char* what) {
        return Error(std::string(what) + ": " + (archive_error_string(a_) ? archive_error_string(a_) : "failed"));
    }
    archive* a_;
};

class DiskSink final : public EntrySink {
public:
    DiskSink(int dir_fd, DiskSinkOptions options) : dir_fd_(dir_fd), options_(options) {}

    Result<void> put(archive_entry* entry, const DataReader& data) override;
    Result<void> finish() override;

private:
    Result<void> make(int parent, const std::string& leaf, const std::string& name, archive_entry* entry,
                      const DataReader& data);
    Result<void> set_meta(int fd, int parent, const std::string& leaf, archive_entry* entry, bool symlink);

    int dir_fd_;
    DiskSinkOptions options_;
    struct DirTimes {
        std::vector<std::string> components;
        struct timespec times[2];
    };
    std::vector<DirTimes> dir_times_;
};

Error entry_error(const std::string& name, int err, const char* call) {
    return Error::from_syscall(call, err, name);
}

Result<void> DiskSink::put(archive_entry* entry, const DataReader& data) {
    const char* raw = archive_entry_pathname(entry);
    std::string name = raw ? raw : "";
    auto components = sys::split_confined(name);
    if (!components.ok()) return Error("refusing tar entry \"" + name + "\": it climbs out of the destination");
    if (components->empty()) return ok();  // the destination folder itself
    UniqueFd parent = TRY(sys::mkdir_all_beneath(dir_fd_, *components, components->size() - 1));
    const std::string& leaf = components->back();
    auto made = make(parent.get(), leaf, name, entry, data);
    if (!made.ok()) return std::move(made).error();
    if (archive_entry_filetype(entry) == AE_IFDIR) {
        DirTimes t{*components, {}};
        t.times[0] = {archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
        t.times[1] = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
        if (!archive_entry_atime_is_set(entry)) t.times[0] = t.times[1];
        dir_times_.push_back(std::move(t));
    }
    return ok();
}

Result<void> DiskSink::make(int parent, const std::string& leaf, const std::string& name, archive_entry* entry,
                            const DataReader& data) {
    const char* hardlink = archive_entry_hardlink(entry);
    mode_t type = hardlink ? 0 : archive_entry_filetype(entry);
    struct stat existing {};
    bool exists = ::fstatat(parent, leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && S_ISDIR(existing.st_mode)) {
        if (type == AE_IFDIR) {
            UniqueFd dir(::openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!dir) return entry_error(name, errno, "open");
            return set_meta(dir.get(), parent, leaf, entry, false);
        }
        return Error("cannot overwrite directory \"" + name + "\" with non-directory");
    }
    if (exists && ::unlinkat(parent, leaf.c_str(), 0) != 0) return entry_error(name, errno, "unlink");

    if (hardlink) {
        auto target = sys::split_confined(hardlink);
        if (!target.ok() || target->empty())
            return Error("refusing hardlink \"" + name + "\" → \"" + hardlink + "\": it leaves the destination");
        UniqueFd target_parent = TRY(sys::open_confined(dir_fd_, sys::join_components(*target, target->size() - 1),
                                                        O_PATH | O_DIRECTORY, 0, sys::Resolve::Beneath));
        if (::linkat(target_parent.get(), target->back().c_str(), parent, leaf.c_str(), 0) != 0)
            return entry_error(name, errno, "link");
        return ok();
    }
    switch (type) {
        case AE_IFDIR: {
            if (::mkdirat(parent, leaf.c_str(), 0700) != 0) return entry_error(name, errno, "mkdir");
            UniqueFd dir(::openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!dir) return entry_error(name, errno, "open");
            return set_meta(dir.get(), parent, leaf, entry, false);
        }
        case AE_IFREG: {
            UniqueFd file(::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (!file) return entry_error(name, errno, "create");
            std::vector<char> buffer(1 << 17);
            while (true) {
                size_t n = TRY(data(buffer.data(), buffer.size()));
                if (n == 0) break;
                for (size_t done = 0; done < n;) {
                    ssize_t w = ::write(file.get(), buffer.data() + done, n - done);
                    if (w < 0 && errno == EINTR) continue;
                    if (w < 0) return entry_error(name, errno, "write");
                    done += size_t(w);
                }
            }
            return set_meta(file.get(), parent, leaf, entry, false);
        }
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(entry);
            if (::symlinkat(target ? target : "", parent, leaf.c_str()) != 0) return entry_error(name, errno, "symlink");
            return set_meta(-1, parent, leaf, entry, true);
        }
        case AE_IFIFO:
        case AE_IFCHR:
        case AE_IFBLK: {
            dev_t dev = makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
            if (::mknodat(parent, leaf.c_str(), type | 0600, dev) != 0) return entry_error(name, errno, "mknod");
            UniqueFd node(::openat(parent, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
            if (!node) return entry_error(name, errno, "open");
            return set_meta(node.get(), parent, leaf, entry, false);
        }
        default:
            return Error("tar entry \"" + name + "\": unsupported file type");
    }
}

Result<void> DiskSink::set_meta(int fd, int parent, const std::string& leaf, archive_entry* entry, bool symlink) {
    const char* name = archive_entry_pathname(entry);
    if (options_.keep_owner) {
        uid_t uid = uid_t(archive_entry_uid(entry));
        gid_t gid = gid_t(archive_entry_gid(entry));
        int rc = fd >= 0 ? ::fchownat(fd, "", uid, gid, AT_EMPTY_PATH)
                         : ::fchownat(parent, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
        if (rc != 0) return entry_error(name, errno, "chown");
    }
    if (symlink) return ok();
    // Through our own fd (an O_PATH one for device nodes and fifos): a path could be
    // swapped for a symlink by a process in the container.
    if (::chmod(proc_fd(fd).c_str(), archive_entry_perm(entry) & 07777) != 0) return entry_error(name, errno, "chmod");
    if (fd >= 0 && archive_entry_filetype(entry) == AE_IFREG) {
        struct timespec times[2] = {{archive_entry_atime(entry), archive_entry_atime_nsec(entry)},
                                    {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}};
        if (!archive_entry_atime_is_set(entry)) times[0] = times[1];
        if (::futimens(fd, times) != 0) return entry_error(name, errno, "utimens");
    }
    return ok();
}

Result<void> DiskSink::finish() {
    // Folder times last, deepest first: creating children changed them.
    std::reverse(dir_times_.begin(), dir_times_.end());
    for (const auto& d : dir_times_) {
        auto fd = sys::open_confined(dir_fd_, sys::join_components(d.components), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                                     sys::Resolve::Beneath);
        if (fd.ok()) (void)::futimens(fd->get(), d.times);
    }
    return ok();
}

// --- the tree walker ---------------------------------------------------------------

class Walker {
public:
    explicit Walker(EntrySink& sink) : sink_(sink) {}
    // `node` is an O_PATH fd of the node; `name` its entry name ("" = children only).
    Result<void> walk(int node, const std::string& name);

private:
    EntrySink& sink_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

Result<void> Walker::walk(int node, const std::string& name) {
    struct stat st {};
    if (::fstat(node, &st) != 0) return Error::from_syscall("stat", errno, name);
    EntryPtr entry(archive_entry_new());
    archive_entry_copy_stat(entry.get(), &st);
    archive_entry_set_pathname(entry.get(), S_ISDIR(st.st_mode) ? (name + "/").c_str() : name.c_str());
    DataReader data = no_data;
    UniqueFd file;
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto it = links_.find(key); it != links_.end() && !name.empty()) {
            archive_entry_set_hardlink(entry.get(), it->second.c_str());
            archive_entry_set_size(entry.get(), 0);
            return sink_.put(entry.get(), data);
        }
        links_[key] = name;
    }
    if (S_ISLNK(st.st_mode)) {
        std::string target(size_t(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
        ssize_t n = ::readlinkat(node, "", target.data(), target.size());
        if (n < 0) return Error::from_syscall("readlink", errno, name);
        target.resize(size_t(n));
        archive_entry_set_symlink(entry.get(), target.c_str());
        archive_entry_set_size(entry.get(), 0);
    } else if (S_ISREG(st.st_mode)) {
        // Reopening our own O_PATH fd through /proc reads exactly this inode.
        file.reset(::open(proc_fd(node).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
        if (!file) return Error::from_syscall("open", errno, name);
        int fd = file.get();
        data = [fd, name](char* buffer, size_t size) -> Result<size_t> {
            while (true) {
                ssize_t n = ::read(fd, buffer, size);
                if (n >= 0) return size_t(n);
                if (errno != EINTR) return Error::from_syscall("read", errno, name);
            }
        };
    } else if (!S_ISDIR(st.st_mode)) {
        archive_entry_set_size(entry.get(), 0);
    }
    if (!name.empty()) TRY(sink_.put(entry.get(), data));
    if (!S_ISDIR(st.st_mode)) return ok();

    UniqueFd dir(::openat(node, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error::from_syscall("open", errno, name);
    DIR* stream = ::fdopendir(::dup(dir.get()));
    if (!stream) return Error::from_syscall("opendir", errno, name);
    std::vector<std::string> children;
    while (dirent* e = ::readdir(stream)) {
        std::string child = e->d_name;
        if (child != "." && child != "..") children.push_back(std::move(child));
    }
    ::closedir(stream);
    std::sort(children.begin(), children.end());
    for (const auto& child : children) {
        UniqueFd fd(::openat(dir.get(), child.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT) continue;  // removed meanwhile
            return Error::from_syscall("open", errno, name + "/" + child);
        }
        TRY(walk(fd.get(), name.empty() ? child : name + "/" + child));
    }
    return ok();
}

}  // namespace

Result<std::unique_ptr<EntrySink>> make_tar_sink(int fd) {
    archive* a = archive_write_new();
    if (!a) return Error("archive_write_new failed");
    auto sink = std::make_unique<TarSink>(a);
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK)
        return Error(std::string("write tar: ") + (archive_error_string(a) ? archive_error_string(a) : "cannot open"));
    return std::unique_ptr<EntrySink>(std::move(sink));
}

Result<std::unique_ptr<EntrySink>> make_disk_sink(int dir_fd, const DiskSinkOptions& options) {
    return std::unique_ptr<EntrySink>(std::make_unique<DiskSink>(dir_fd, options));
}

Result<void> walk_tree(int node, const std::string& top_name, EntrySink& sink) {
    Walker walker(sink);
    TRY(walker.walk(node, top_name));
    return sink.finish();
}

Result<void> read_tar(int fd, EntrySink& sink) {
    struct ReadFree {
        void operator()(archive* a) const { archive_read_free(a); }
    };
    std::unique_ptr<archive, ReadFree> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
        return Error(std::string("read tar: ") + archive_error_string(a.get()));
    archive* raw = a.get();
    DataReader data = [raw](char* buffer, size_t size) -> Result<size_t> {
        la_ssize_t n = archive_read_data(raw, buffer, size);
        if (n < 0) return Error(std::string("read tar: ") + archive_error_string(raw));
        return size_t(n);
    };
    while (true) {
        archive_entry* entry = nullptr;
        int rc = archive_read_next_header(raw, &entry);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return Error(std::string("read tar: ") + archive_error_string(raw));
        TRY(sink.put(entry, data));
    }
    return sink.finish();
}

}  // namespace hako::container
