// This file implements TempDir, a uniquely named folder removed with everything in
// it when its owner goes away (unless the folder was kept, e.g. renamed into place).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "engine/sys/error.h"

namespace hako::sys {

class TempDir {
public:
    // Creates PARENT/PREFIXXXXXXX with mkdtemp (mode 0700).
    static Result<TempDir> create(const std::filesystem::path& parent, const std::string& prefix) {
        std::string templ = (parent / (prefix + "XXXXXX")).string();
        if (::mkdtemp(templ.data()) == nullptr) return Error::from_syscall("mkdtemp", errno, templ);
        return TempDir(templ);
    }

    TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    TempDir& operator=(TempDir&& other) noexcept {
        if (this != &other) {
            remove();
            path_ = std::move(other.path_);
            other.path_.clear();
        }
        return *this;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() { remove(); }

    const std::filesystem::path& path() const { return path_; }
    // Stops owning the folder: the caller moved it elsewhere or keeps it.
    void release() { path_.clear(); }

private:
    explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
    void remove() {
        if (path_.empty()) return;
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
        path_.clear();
    }

    std::filesystem::path path_;
};

}  // namespace hako::sys
