// This file declares the engine's one way to write "now" as an RFC 3339 UTC time.
#pragma once

#include <string>

namespace hako::sys {

// "2026-11-29T01:02:03.123456789Z": UTC with nanoseconds, computed with <chrono>'s
// calendar. Not gmtime_r: glibc's first gmtime_r in a process runs tzset, which
// opens and parses /etc/localtime for a UTC time that needs none of it.
std::string now_rfc3339();

}  // namespace hako::sys
