// This file implements ADD's URL sources: the file is downloaded with libcurl into a
// scratch folder (named after the URL's last path segment, mode 0600 as Docker
// has it) and checked against --checksum when given.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "engine/sys/error.h"

namespace hako::build {

bool is_url(const std::string& source);

// Downloads `url` into `dir`; returns the file's path. An HTTP status of 400 or more,
// a failed transfer or a checksum ("sha256:<hex>") mismatch is an error naming the URL.
Result<std::filesystem::path> download_url(const std::string& url, const std::filesystem::path& dir,
                                           const std::optional<std::string>& checksum);

}  // namespace hako::build
