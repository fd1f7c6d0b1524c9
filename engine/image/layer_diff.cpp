// This file implements write_layer_diff, upper_is_empty and list_changes (see
// layer_diff.h) with libarchive's pax writer over a sorted walk of the upper folder.
#include "engine/image/layer_diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>

#include "engine/sys/fd.h"

namespace hako::image {

namespace fs = std::filesystem;

namespace {

struct ArchiveFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

Result<std::vector<std::string>> sorted_names(const fs::path& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return Error::from_syscall("opendir", errno, dir.string());
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque(const fs::path& dir) {
    char value[4];
    ssize_t n = ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", value, sizeof value);
    if (n == 1 && value[0] == 'y') return true;
    n = ::lgetxattr(dir.c_str(), "user.overlay.opaque", value, sizeof value);
    return n == 1 && value[0] == 'y';
}

class DiffWriter {
public:
    DiffWriter(archive* a) : a_(a) {}

    Result<void> walk(const fs::path& dir, const std::string& prefix) {
        auto names = TRY(sorted_names(dir));
        for (const auto& name : names) {
            fs::path path = dir / name;
            std::string rel = prefix.empty() ? name : prefix + "/" + name;
            struct stat st;
            if (::lstat(path.c_str(), &st) != 0) return Error::from_syscall("lstat", errno, path.string());
            if (is_whiteout(st)) {
                TRY(marker(prefix.empty() ? ".wh." + name : prefix + "/.wh." + name, st));
                continue;
            }
            TRY(entry(path, rel, st));
            if (S_ISDIR(st.st_mode)) {
                if (is_opaque(path)) TRY(marker(rel + "/.wh..wh..opq", st));
                TRY(walk(path, rel));
            }
        }
        return ok();
    }

    DiffStats stats;

private:
    Result<void> check(int rc, const std::string& what) {
        if (rc < ARCHIVE_WARN) return Error("writing layer tar (" + what + "): " + archive_error_string(a_));
        return ok();
    }

    Result<void> marker(const std::string& rel, const struct stat& st) {
        std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
        archive_entry_set_pathname(e.get(), rel.c_str());
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0);
        archive_entry_set_size(e.get(), 0);
        archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        ++stats.entries;
        return check(archive_write_header(a_, e.get()), rel);
    }

    void add_xattrs(archive_entry* e, const fs::path& path) {
        char names[4096];
        ssize_t n = ::llistxattr(path.c_str(), names, sizeof names);
        if (n <= 0) return;
        for (ssize_t i = 0; i < n;) {
            std::string name(names + i);
            i += ssize_t(name.size()) + 1;
            if (name.rfind("trusted.overlay.", 0) == 0 || name.rfind("user.overlay.", 0) == 0) continue;
            char value[8192];
            ssize_t len = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
            if (len >= 0) archive_entry_xattr_add_entry(e, name.c_str(), value, size_t(len));
        }
    }

    Result<void> entry(const fs::path& path, const std::string& rel, const struct stat& st) {
        std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
        archive_entry_copy_stat(e.get(), &st);
        archive_entry_set_pathname(e.get(), rel.c_str());
        archive_entry_set_uname(e.get(), "");
        archive_entry_set_gname(e.get(), "");
        add_xattrs(e.get(), path);
        if (S_ISLNK(st.st_mode)) {
            std::string target(size_t(st.st_size) + 1, '\0');
            ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
            if (n < 0) return Error::from_syscall("readlink", errno, path.string());
            target.resize(size_t(n));
            archive_entry_set_symlink(e.get(), target.c_str());
        }
        if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
            auto key = std::make_pair(st.st_dev, st.st_ino);
            auto it = hardlinks_.find(key);
            if (it != hardlinks_.end()) {
                archive_entry_set_hardlink(e.get(), it->second.c_str());
                archive_entry_set_size(e.get(), 0);
                ++stats.entries;
                return check(archive_write_header(a_, e.get()), rel);
            }
            hardlinks_[key] = rel;
        }
        if (!S_ISREG(st.st_mode)) archive_entry_set_size(e.get(), 0);
        ++stats.entries;
        TRY(check(archive_write_header(a_, e.get()), rel));
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
            sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
            if (!fd) return Error::from_syscall("open", errno, path.string());
            char buffer[65536];
            while (true) {
                ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return Error::from_syscall("read", errno, path.string());
                if (n == 0) break;
                if (archive_write_data(a_, buffer, size_t(n)) < 0)
                    return Error("writing layer tar (" + rel + "): " + archive_error_string(a_));
                stats.bytes += n;
            }
        }
        return ok();
    }

    archive* a_;
    std::map<std::pair<dev_t, ino_t>, std::string> hardlinks_;
};

bool exists_below(const std::vector<fs::path>& lowers, const std::string& rel) {
    for (const auto& lower : lowers) {
        fs::path p = lower / rel;
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0) continue;
        if (is_whiteout(st)) return false;  // deleted at this level
        return true;
    }
    return false;
}

Result<void> collect(const fs::path& dir, const std::string& rel, const std::vector<fs::path>& lowers,
                     std::vector<Change>& out) {
    auto names = TRY(sorted_names(dir));
    for (const auto& name : names) {
        fs::path path = dir / name;
        std::string child = rel + "/" + name;
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0) return Error::from_syscall("lstat", errno, path.string());
        if (is_whiteout(st)) {
            out.push_back({'D', child});
            continue;
        }
        bool below = exists_below(lowers, child.substr(1));
        out.push_back({below ? 'C' : 'A', child});
        if (S_ISDIR(st.st_mode)) {
            if (is_opaque(path) || !below) {
                // Everything inside is new (an opaque folder hides what was below).
                TRY(collect(path, child, {}, out));
            } else {
                TRY(collect(path, child, lowers, out));
            }
        }
    }
    return ok();
}

}  // namespace

Result<DiffStats> write_layer_diff(const fs::path& upper, int out_fd) {
    std::unique_ptr<archive, ArchiveFree> a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);
    if (archive_write_open_fd(a.get(), out_fd) != ARCHIVE_OK)
        return Error(std::string("writing layer tar: ") + archive_error_string(a.get()));
    DiffWriter writer(a.get());
    TRY(writer.walk(upper, ""));
    if (archive_write_close(a.get()) != ARCHIVE_OK)
        return Error(std::string("writing layer tar: ") + archive_error_string(a.get()));
    return writer.stats;
}

Result<bool> upper_is_empty(const fs::path& upper) {
    auto names = TRY(sorted_names(upper));
    return names.empty();
}

Result<std::vector<Change>> list_changes(const fs::path& upper, const std::vector<fs::path>& lower_highest_first) {
    std::vector<Change> out;
    TRY(collect(upper, "", lower_highest_first, out));
    std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
    return out;
}

}  // namespace hako::image
