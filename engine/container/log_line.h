// This file implements docker's json-file log line: one JSON object per output
// line, {"log":"text\n","stream":"stdout","time":"RFC 3339 with nanoseconds"}.
#pragma once

#include <cstdint>
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

// A log entry's time ("2026-01-02T03:04:05.123456789Z", or with a +hh:mm offset;
// the fraction is optional) → nanoseconds since the epoch.
Result<int64_t> parse_rfc3339_ns(std::string_view text);
// docker logs --since/--until: RFC 3339 (a date alone too), a unix timestamp with
// an optional fraction, or a Go duration before `now_ns` ("10m", "1h30m", "1.5s").
Result<int64_t> parse_log_time_ns(std::string_view text, int64_t now_ns);

}  // namespace hako::container
