// This file declares the json-file log writer of the monitor: it appends encoded
// lines to ID-json.log and, with a size limit, rotates it as docker's json-file
// driver does (ID-json.log.1 is the newest rotated file, up to max_file - 1 of them;
// with max_file 1 the log is cut back to empty).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::monitor {

struct LogLimits {
    int64_t max_size = 0;  // bytes; 0 = unlimited
    int max_file = 1;
};

class LogWriter {
public:
    static Result<LogWriter> open(const std::filesystem::path& path, LogLimits limits);
    // Appends one already encoded line (rotating first when it would pass max_size).
    // A write error drops the line: the container must not block on a full disk.
    void write(std::string_view line);

private:
    void rotate();
    std::filesystem::path path_;
    LogLimits limits_;
    sys::UniqueFd fd_;
    int64_t size_ = 0;
};

// The log's files, oldest first: PATH.N … PATH.1, PATH (those that exist).
std::vector<std::filesystem::path> log_files(const std::filesystem::path& path);

}  // namespace hako::monitor
