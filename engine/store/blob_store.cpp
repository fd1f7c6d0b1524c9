// This file implements BlobStore and BlobWriter (see blob_store.h).
#include "engine/store/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "engine/sys/file.h"

namespace hako::store {

BlobWriter::~BlobWriter() {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Result<void> BlobWriter::write(const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    hash_.update(p, size);
    size_ += int64_t(size);
    while (size > 0) {
        ssize_t n = ::write(fd_.get(), p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_syscall("write", errno, tmp_.string());
        }
        p += n;
        size -= size_t(n);
    }
    return ok();
}

Result<void> BlobWriter::write_from_fd(int fd, std::string_view what) {
    static constexpr size_t kBuf = 1 << 17;
    std::unique_ptr<char[]> buf(new char[kBuf]);
    while (true) {
        ssize_t n = ::read(fd, buf.get(), kBuf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_syscall("read", errno, what);
        }
        if (n == 0) return ok();
        TRY(write(buf.get(), size_t(n)));
    }
}

Result<BlobInfo> BlobWriter::commit(const std::optional<std::string>& expected) {
    std::string digest = hash_.digest_final();
    if (expected && *expected != digest) {
        return Error("blob digest mismatch: expected " + *expected + ", content has " + digest);
    }
    if (::fsync(fd_.get()) != 0) return Error::from_syscall("fsync", errno, tmp_.string());
    fd_.reset();
    std::filesystem::path target = dir_ / digest.substr(7);
    if (::rename(tmp_.c_str(), target.c_str()) != 0) {
        return Error::from_syscall("rename", errno, target.string());
    }
    tmp_.clear();
    return BlobInfo{digest, size_};
}

Result<BlobWriter> BlobStore::writer() const {
    std::string templ = (tmp_ / "blob-XXXXXX").string();
    sys::UniqueFd fd(::mkostemp(templ.data(), O_CLOEXEC));
    if (!fd) return Error::from_syscall("mkostemp", errno, templ);
    ::fchmod(fd.get(), 0644);
    return BlobWriter(templ, dir_, std::move(fd));
}

Result<BlobInfo> BlobStore::put(std::string_view data,
                                const std::optional<std::string>& expected) const {
    BlobWriter w = TRY(writer());
    TRY(w.write(data));
    return w.commit(expected);
}

Result<std::filesystem::path> BlobStore::path(std::string_view digest) const {
    std::string hex = TRY(sys::digest_hex(digest));
    return dir_ / hex;
}

Result<std::string> BlobStore::read(std::string_view digest, size_t max_bytes) const {
    std::filesystem::path p = TRY(path(digest));
    auto content = sys::read_file(p, max_bytes);
    if (!content.ok()) {
        if (content.error().errno_value == ENOENT) {
            return Error("blob " + std::string(digest) + " is not in the store");
        }
        return std::move(content).error();
    }
    if (sys::sha256_digest(*content) != digest) {
        return Error("blob " + std::string(digest) + " is corrupt: its content does not match its digest");
    }
    return content;
}

bool BlobStore::has(std::string_view digest) const {
    auto p = path(digest);
    return p.ok() && ::access(p->c_str(), F_OK) == 0;
}

Result<int64_t> BlobStore::size(std::string_view digest) const {
    std::filesystem::path p = TRY(path(digest));
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return Error::from_syscall("stat", errno, p.string());
    return int64_t(st.st_size);
}

Result<std::vector<std::string>> BlobStore::list() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return Error::from_syscall("opendir", errno, dir_.string());
    while (dirent* e = ::readdir(d)) {
        std::string_view name(e->d_name);
        if (name.size() == 64 && sys::is_hex(name)) out.push_back("sha256:" + std::string(name));
    }
    ::closedir(d);
    return out;
}

Result<void> BlobStore::remove(std::string_view digest) const {
    std::filesystem::path p = TRY(path(digest));
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return Error::from_syscall("unlink", errno, p.string());
    return ok();
}

}  // namespace hako::store
