// This file implements the listing of a json-file log's files (log_writer.h).
#include "engine/monitor/log_writer.h"

#include <string>

namespace hako::monitor {

namespace fs = std::filesystem;

namespace {

fs::path numbered(const fs::path& path, int n) { return fs::path(path.string() + "." + std::to_string(n)); }

}  // namespace

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
