// This file declares the files of a container's json-file log, which the monitor
// writes (monitor_log.h, in hako-monitor) and `logs` reads: ID-json.log and, with
// a size limit, its rotated files as docker's json-file driver keeps them
// (ID-json.log.1 is the newest rotated file, up to max_file - 1 of them; with
// max_file 1 the log is cut back to empty).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace hako::monitor {

struct LogLimits {
    int64_t max_size = 0;  // bytes; 0 = unlimited
    int max_file = 1;
};

// The log's files, oldest first: PATH.N … PATH.1, PATH (those that exist).
std::vector<std::filesystem::path> log_files(const std::filesystem::path& path);

}  // namespace hako::monitor
