// This file implements Go-style durations ("30s", "1m30s", "1.5h", "250ms") as
// Dockerfile HEALTHCHECK flags write them, converted to nanoseconds.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/sys/error.h"

namespace hako::build {

// "1h2m3.5s" → nanoseconds; units ns, us, µs, ms, s, m, h; a bare "0" is zero.
// Anything else is an error quoting the text.
Result<int64_t> parse_duration(std::string_view text);

}  // namespace hako::build
