// This file implements docker's json-file log line: one JSON object per output
// line, {"log":"text\n","stream":"stdout","time":"RFC 3339 with nanoseconds"}.
#pragma once

#include <string>
#include <string_view>

#include "engine/sys/error.h"

namespace hako::container {

struct LogEntry {
    std::string log;     // the line with its trailing newline (a last partial line has none)
    std::string stream;  // "stdout" or "stderr"
    std::string time;    // RFC 3339 with nanoseconds, UTC
};

// One encoded line, ending in '\n'. Escapes as JSON requires (control characters,
// quotes, backslashes); bytes that are not UTF-8 pass through as they came.
std::string encode_log_line(std::string_view text, std::string_view stream, std::string_view time);
Result<LogEntry> decode_log_line(std::string_view line);

}  // namespace hako::container
