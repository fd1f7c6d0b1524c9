// This file implements plan_copy, execute_copy and is_archive (see copy_step.h).
#include "engine/build/copy_step.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "engine/build/substitution.h"
#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/safe_path.h"

namespace hako::build {

namespace fs = std::filesystem;

namespace {

bool has_wildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::string join_dest(const std::string& dir, const std::string& name) {
    if (dir.empty() || dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

class Planner {
public:
    explicit Planner(const CopyRequest& r) : r_(r) {}

    Result<CopyPlan> run() {
        auto root_fd = sys::UniqueFd(::open(r_.source_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root_fd) return Error::from_syscall("open", errno, r_.source_root.string());
        root_fd_ = root_fd.get();
        bool many = r_.sources.size() > 1;
        for (const auto& source : r_.sources) {
            auto components = sys::split_confined(source);
            if (!components.ok()) return fail("source \"" + source + "\" is outside the " + where());
            if (!components->empty() && has_wildcard(components->back())) {
                many = true;
                std::string pattern = components->back();
                components->pop_back();
                fs::path dir = TRY(resolve(*components, source));
                auto names = TRY(list(dir));
                size_t matched = 0;
                for (const auto& name : names) {
                    if (!glob_match(pattern, name)) continue;
                    auto rel = *components;
                    rel.push_back(name);
                    if (excluded(sys::join_components(rel))) continue;
                    ++matched;
                    TRY(add_source(dir / name, sys::join_components(rel), r_.sources.size() > 1));
                }
                if (matched == 0) return fail("no source files match \"" + source + "\"");
                continue;
            }
            std::string rel = sys::join_components(*components);
            if (!components->empty() && excluded(rel))
                return fail("\"" + source + "\": not found in the " + where() + " (excluded by .dockerignore)");
            fs::path path = TRY(resolve(*components, source));
            TRY(add_source(path, rel, many));
        }
        if (many && !r_.dest_is_dir && plan_.items.size() > 0 && count_top_ > 1)
            return fail("with more than one source file, the destination must be a folder and end with a /");
        std::sort(digest_lines_.begin(), digest_lines_.end());
        sys::Sha256 hash;
        for (const auto& line : digest_lines_) {
            hash.update(line);
            hash.update("\n", 1);
        }
        plan_.digest = hash.digest_final();
        return std::move(plan_);
    }

private:
    std::string where() const { return r_.from_context ? "build context" : "source image"; }
    Error fail(const std::string& message) const { return Error(r_.instruction + " failed: " + message); }

    bool excluded(const std::string& rel) const {
        if (r_.from_context && r_.ignore && r_.ignore->excluded(rel)) return true;
        for (const auto& pattern : r_.excludes) {
            if (IgnoreMatcher::parse(pattern).excluded(rel)) return true;
        }
        return false;
    }

    // The host path of a source, its symlinks followed inside the root only.
    Result<fs::path> resolve(const std::vector<std::string>& components, const std::string& source) {
        std::string rel = sys::join_components(components);
        auto fd = sys::open_confined(root_fd_, rel, O_PATH, 0,
                                     r_.from_context ? sys::Resolve::Beneath : sys::Resolve::InRoot);
        if (!fd.ok()) {
            if (fd.error().errno_value == ENOENT || fd.error().errno_value == ENOTDIR)
                return fail("\"" + source + "\": not found in the " + where());
            if (fd.error().message.find("escapes") != std::string::npos || fd.error().errno_value == ELOOP)
                return fail("\"" + source + "\" leads outside the " + where() + " (through a symlink)");
            return fail("\"" + source + "\": " + fd.error().message);
        }
        char link[64];
        std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd->get());
        std::error_code ec;
        fs::path real = fs::read_symlink(link, ec);
        if (ec) return Error::from_syscall("readlink", ec.value(), link);
        return real;
    }

    Result<std::vector<std::string>> list(const fs::path& dir) {
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

    Result<void> hash_item(const CopyItem& item) {
        std::string line = item.dest + " " + std::to_string(item.st.st_mode) + " " + std::to_string(item.st.st_size);
        if (S_ISREG(item.st.st_mode)) {
            line += " " + TRY(sys::sha256_file_digest(item.source));
        } else if (S_ISLNK(item.st.st_mode)) {
            std::error_code ec;
            line += " -> " + fs::read_symlink(item.source, ec).string();
        }
        if (item.extract) line += " extract";
        digest_lines_.push_back(std::move(line));
        return ok();
    }

    Result<void> add_source(const fs::path& path, const std::string& rel, bool into_dir) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) return Error::from_syscall("stat", errno, path.string());
        ++count_top_;
        if (S_ISDIR(st.st_mode)) {
            // A folder's contents are copied, not the folder itself.
            CopyItem top{path, r_.dest, st};
            top.contents_root = true;
            plan_.items.push_back(top);
            TRY(hash_item(top));
            return walk(path, rel, r_.dest);
        }
        CopyItem item{path, r_.dest, st};
        std::string name = path.filename().string();
        if (r_.dest_is_dir || into_dir) {
            item.dest = join_dest(r_.dest, name);
        } else {
            item.file_to_path = true;
        }
        if (r_.extract_archives && S_ISREG(st.st_mode) && is_archive(path)) {
            item.extract = true;
            item.dest = r_.dest;
        }
        plan_.items.push_back(item);
        return hash_item(item);
    }

    Result<void> walk(const fs::path& dir, const std::string& rel, const std::string& dest) {
        auto names = TRY(list(dir));
        for (const auto& name : names) {
            std::string child_rel = rel.empty() || rel == "." ? name : rel + "/" + name;
            fs::path path = dir / name;
            struct stat st;
            if (::lstat(path.c_str(), &st) != 0) return Error::from_syscall("lstat", errno, path.string());
            bool skip = excluded(child_rel);
            if (skip && !(S_ISDIR(st.st_mode) && r_.from_context && r_.ignore && r_.ignore->may_include_below(child_rel)))
                continue;
            CopyItem item{path, join_dest(dest, name), st};
            if (!skip) {
                plan_.items.push_back(item);
                TRY(hash_item(item));
            }
            if (S_ISDIR(st.st_mode)) TRY(walk(path, child_rel, item.dest));
        }
        return ok();
    }

    const CopyRequest& r_;
    int root_fd_ = -1;
    CopyPlan plan_;
    std::vector<std::string> digest_lines_;
    size_t count_top_ = 0;
};

// Opens (creating as needed, mode 0755, owned by `owner`) the folder `components`
// inside the rootfs, resolving as the container would see it.
Result<sys::UniqueFd> ensure_dir(int root_fd, const std::vector<std::string>& components, const Ownership& owner) {
    for (size_t i = 0; i <= components.size(); ++i) {
        std::string path = sys::join_components(components, i);
        auto fd = sys::open_confined(root_fd, path, O_PATH | O_DIRECTORY, 0, sys::Resolve::InRoot);
        if (fd.ok()) {
            if (i == components.size()) return std::move(fd).value();
            continue;
        }
        if (fd.error().errno_value != ENOENT || i == 0) return std::move(fd).error();
        auto parent = TRY(sys::open_confined(root_fd, sys::join_components(components, i - 1), O_PATH | O_DIRECTORY,
                                              0, sys::Resolve::InRoot));
        if (::mkdirat(parent.get(), components[i - 1].c_str(), 0755) != 0 && errno != EEXIST)
            return Error::from_syscall("mkdir", errno, path);
        (void)::fchownat(parent.get(), components[i - 1].c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW);
        --i;  // open it on the next round
    }
    return Error("unreachable");
}

Result<void> copy_data(const fs::path& from, int to_fd) {
    sys::UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return Error::from_syscall("open", errno, from.string());
    while (true) {
        ssize_t n = ::copy_file_range(in.get(), nullptr, to_fd, nullptr, 1 << 30, 0);
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            n = ::sendfile(to_fd, in.get(), nullptr, 1 << 30);
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_syscall("copy", errno, from.string());
        if (n == 0) return ok();
    }
}

struct ArchiveReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};

Result<void> extract_archive(const fs::path& file, int dir_fd, const Ownership& owner) {
    std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), file.c_str(), 65536) != ARCHIVE_OK)
        return Error("ADD " + file.filename().string() + ": " + archive_error_string(a.get()));
    std::unique_ptr<archive, void (*)(archive*)> disk(archive_write_disk_new(),
                                                      [](archive* w) { archive_write_free(w); });
    archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                   ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
    // Paths in the archive are relative to the destination folder.
    sys::UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (::fchdir(dir_fd) != 0) return Error::from_syscall("chdir", errno, "ADD destination");
    Result<void> result = ok();
    archive_entry* entry;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
        (void)owner;  // ADD keeps the archive's owners, as docker does
        if (archive_write_header(disk.get(), entry) < ARCHIVE_WARN) {
            result = Error("ADD " + file.filename().string() + ": " + archive_entry_pathname(entry) + ": " +
                           archive_error_string(disk.get()));
            break;
        }
        const void* buffer;
        size_t size;
        la_int64_t offset;
        while (archive_read_data_block(a.get(), &buffer, &size, &offset) == ARCHIVE_OK) {
            if (archive_write_data_block(disk.get(), buffer, size, offset) < ARCHIVE_WARN) break;
        }
        archive_write_finish_entry(disk.get());
    }
    if (result.ok() && rc != ARCHIVE_EOF)
        result = Error("ADD " + file.filename().string() + ": " + archive_error_string(a.get()));
    archive_write_close(disk.get());
    if (cwd) (void)::fchdir(cwd.get());
    return result;
}

Result<void> copy_item(int root_fd, const CopyItem& item, const Ownership& owner, std::optional<mode_t> chmod,
                       const std::string& instruction) {
    auto components = TRY(sys::split_confined(item.dest));
    if (item.extract) {
        auto dir = TRY(ensure_dir(root_fd, components, owner));
        auto rw = TRY(sys::open_confined(root_fd, sys::join_components(components), O_RDONLY | O_DIRECTORY, 0,
                                         sys::Resolve::InRoot));
        return extract_archive(item.source, rw.get(), owner);
    }
    if (item.contents_root) {
        (void)TRY(ensure_dir(root_fd, components, owner));
        return ok();
    }
    if (S_ISDIR(item.st.st_mode)) {
        auto dir = TRY(ensure_dir(root_fd, components, owner));
        auto rw = TRY(sys::open_confined(root_fd, sys::join_components(components), O_RDONLY | O_DIRECTORY, 0,
                                         sys::Resolve::InRoot));
        (void)::fchown(rw.get(), owner.uid, owner.gid);
        (void)::fchmod(rw.get(), chmod ? *chmod : (item.st.st_mode & 07777));
        return ok();
    }
    if (components.empty()) return Error(instruction + " failed: cannot copy a file onto /");
    if (item.file_to_path) {
        // COPY file /existing-folder copies into the folder.
        auto existing = sys::open_confined(root_fd, sys::join_components(components), O_PATH | O_DIRECTORY, 0,
                                           sys::Resolve::InRoot);
        if (existing.ok()) components.push_back(item.source.filename().string());
    }
    std::string name = components.back();
    components.pop_back();
    auto parent = TRY(ensure_dir(root_fd, components, owner));
    auto parent_rw = TRY(sys::open_confined(root_fd, sys::join_components(components), O_RDONLY | O_DIRECTORY, 0,
                                            sys::Resolve::InRoot));
    int dir = parent_rw.get();
    struct stat existing;
    if (::fstatat(dir, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(existing.st_mode)) return Error(instruction + " failed: " + item.dest + " is a folder in the image");
        if (::unlinkat(dir, name.c_str(), 0) != 0) return Error::from_syscall("unlink", errno, item.dest);
    }
    if (S_ISLNK(item.st.st_mode)) {
        std::error_code ec;
        fs::path target = fs::read_symlink(item.source, ec);
        if (ec) return Error::from_syscall("readlink", ec.value(), item.source.string());
        if (::symlinkat(target.c_str(), dir, name.c_str()) != 0) return Error::from_syscall("symlink", errno, item.dest);
        (void)::fchownat(dir, name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW);
        return ok();
    }
    if (!S_ISREG(item.st.st_mode)) return ok();  // sockets, fifos and devices in a context are skipped
    sys::UniqueFd out(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return Error::from_syscall("create", errno, item.dest);
    TRY(copy_data(item.source, out.get()));
    if (::fchown(out.get(), owner.uid, owner.gid) != 0) return Error::from_syscall("chown", errno, item.dest);
    if (::fchmod(out.get(), chmod ? *chmod : (item.st.st_mode & 07777)) != 0)
        return Error::from_syscall("chmod", errno, item.dest);
    struct timespec times[2] = {item.st.st_atim, item.st.st_mtim};
    (void)::futimens(out.get(), times);
    return ok();
}

}  // namespace

bool is_archive(const fs::path& file) {
    std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), file.c_str(), 16384) != ARCHIVE_OK) return false;
    archive_entry* entry;
    return archive_read_next_header(a.get(), &entry) == ARCHIVE_OK;
}

Result<CopyPlan> plan_copy(const CopyRequest& request) { return Planner(request).run(); }

Result<void> make_dir_in_rootfs(const fs::path& rootfs, const std::string& path, const Ownership& owner) {
    sys::UniqueFd root_fd(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return Error::from_syscall("open", errno, rootfs.string());
    auto components = TRY(sys::split_confined(path));
    (void)TRY(ensure_dir(root_fd.get(), components, owner));
    return ok();
}

Result<void> execute_copy(const CopyPlan& plan, const fs::path& rootfs, const Ownership& owner,
                          std::optional<mode_t> chmod, const std::string& instruction) {
    sys::UniqueFd root_fd(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return Error::from_syscall("open", errno, rootfs.string());
    for (const auto& item : plan.items) TRY(copy_item(root_fd.get(), item, owner, chmod, instruction));
    return ok();
}

}  // namespace hako::build
