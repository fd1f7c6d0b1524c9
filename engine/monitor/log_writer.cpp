// This file implements the rotating json-file log writer (log_writer.h).
#include "engine/monitor/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace hako::monitor {

namespace fs = std::filesystem;

namespace {

fs::path numbered(const fs::path& path, int n) { return fs::path(path.string() + "." + std::to_string(n)); }

}  // namespace

Result<LogWriter> LogWriter::open(const fs::path& path, LogLimits limits) {
    LogWriter writer;
    writer.path_ = path;
    writer.limits_ = limits;
    if (writer.limits_.max_file < 1) writer.limits_.max_file = 1;
    writer.fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!writer.fd_) return Error::from_syscall("open", errno, path.string());
    struct stat st {};
    if (::fstat(writer.fd_.get(), &st) == 0) writer.size_ = st.st_size;
    return writer;
}

void LogWriter::rotate() {
    if (limits_.max_file > 1) {
        ::unlink(numbered(path_, limits_.max_file - 1).c_str());
        for (int n = limits_.max_file - 2; n >= 1; --n) ::rename(numbered(path_, n).c_str(), numbered(path_, n + 1).c_str());
        ::rename(path_.c_str(), numbered(path_, 1).c_str());
        fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    } else if (fd_) {
        // One file: start it again (a follower sees the size drop).
        if (::ftruncate(fd_.get(), 0) != 0) return;
    }
    size_ = 0;
}

void LogWriter::write(std::string_view line) {
    if (limits_.max_size > 0 && size_ > 0 && size_ + static_cast<int64_t>(line.size()) > limits_.max_size) rotate();
    if (!fd_) return;
    const char* data = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(fd_.get(), data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        left -= static_cast<size_t>(n);
        size_ += n;
    }
}

std::vector<fs::path> log_files(const fs::path& path) {
    std::vector<fs::path> files;
    std::error_code ec;
    int highest = 0;
    while (fs::exists(numbered(path, highest + 1), ec)) ++highest;
    for (int n = highest; n >= 1; --n) files.push_back(numbered(path, n));
    if (fs::exists(path, ec)) files.push_back(path);
    return files;
}

}  // namespace hako::monitor
