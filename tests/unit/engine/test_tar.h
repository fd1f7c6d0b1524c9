// This file implements TestTar, a helper for engine tests that writes tar archives
// (optionally gzip) with libarchive, entry by entry, including hostile ones.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "engine/sys/fd.h"

namespace hako::test {

class TestTar {
public:
    enum class Filter { None, Gzip, Zstd };
    explicit TestTar(Filter filter = Filter::None) : a_(archive_write_new()) {
        archive_write_set_format_pax_restricted(a_);
        if (filter == Filter::Gzip) archive_write_add_filter_gzip(a_);
        if (filter == Filter::Zstd) archive_write_add_filter_zstd(a_);
        archive_write_set_bytes_in_last_block(a_, 1);
        archive_write_open(a_, &data_, nullptr, &TestTar::append, nullptr);
    }
    ~TestTar() {
        if (a_) archive_write_free(a_);
    }
    TestTar(const TestTar&) = delete;
    TestTar& operator=(const TestTar&) = delete;

    TestTar& file(const std::string& name, const std::string& content, mode_t mode = 0644, int uid = 0,
                  int gid = 0) {
        archive_entry* e = entry(name, AE_IFREG, mode, uid, gid);
        archive_entry_set_size(e, la_int64_t(content.size()));
        archive_write_header(a_, e);
        archive_write_data(a_, content.data(), content.size());
        archive_entry_free(e);
        return *this;
    }
    TestTar& file_with_xattr(const std::string& name, const std::string& content, const std::string& key,
                             const std::string& value) {
        archive_entry* e = entry(name, AE_IFREG, 0644, 0, 0);
        archive_entry_set_size(e, la_int64_t(content.size()));
        archive_entry_xattr_add_entry(e, key.c_str(), value.data(), value.size());
        archive_write_header(a_, e);
        archive_write_data(a_, content.data(), content.size());
        archive_entry_free(e);
        return *this;
    }
    TestTar& dir(const std::string& name, mode_t mode = 0755, int uid = 0, int gid = 0) {
        return simple(entry(name, AE_IFDIR, mode, uid, gid));
    }
    TestTar& symlink(const std::string& name, const std::string& target) {
        archive_entry* e = entry(name, AE_IFLNK, 0777, 0, 0);
        archive_entry_set_symlink(e, target.c_str());
        return simple(e);
    }
    TestTar& hardlink(const std::string& name, const std::string& target) {
        archive_entry* e = entry(name, AE_IFREG, 0644, 0, 0);
        archive_entry_set_hardlink(e, target.c_str());
        archive_entry_set_size(e, 0);
        return simple(e);
    }
    TestTar& chardev(const std::string& name, unsigned major, unsigned minor, mode_t mode = 0666) {
        archive_entry* e = entry(name, AE_IFCHR, mode, 0, 0);
        archive_entry_set_rdevmajor(e, major);
        archive_entry_set_rdevminor(e, minor);
        return simple(e);
    }
    TestTar& fifo(const std::string& name, mode_t mode = 0644) { return simple(entry(name, AE_IFIFO, mode, 0, 0)); }

    // Finishes the archive and returns its bytes.
    const std::string& bytes() {
        if (a_) {
            archive_write_close(a_);
            archive_write_free(a_);
            a_ = nullptr;
        }
        return data_;
    }
    // Finishes the archive, writes it to `path` and opens it for reading.
    sys::UniqueFd open_at(const std::filesystem::path& path) {
        const std::string& b = bytes();
        sys::UniqueFd w(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (::write(w.get(), b.data(), b.size()) != ssize_t(b.size())) return sys::UniqueFd();
        return sys::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    }

    long mtime = 1700000000;

private:
    archive_entry* entry(const std::string& name, mode_t type, mode_t mode, int uid, int gid) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, mode);
        archive_entry_set_uid(e, uid);
        archive_entry_set_gid(e, gid);
        archive_entry_set_mtime(e, mtime, 0);
        return e;
    }
    TestTar& simple(archive_entry* e) {
        archive_write_header(a_, e);
        archive_entry_free(e);
        return *this;
    }
    static la_ssize_t append(archive*, void* ctx, const void* buf, size_t size) {
        static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), size);
        return la_ssize_t(size);
    }

    archive* a_;
    std::string data_;
};

}  // namespace hako::test
