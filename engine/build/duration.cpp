// This file implements parse_duration (see duration.h): the engine's Go-duration
// parser (engine/container/options.h) with the error a Dockerfile line reports.
#include "engine/build/duration.h"

#include <string>

#include "engine/container/options.h"

namespace hako::build {

Result<int64_t> parse_duration(std::string_view text) {
    if (auto ns = container::parse_go_duration_ns(text)) return *ns;
    return Error("invalid duration \"" + std::string(text) + "\" (e.g. 30s, 1m30s, 500ms)");
}

}  // namespace hako::build
