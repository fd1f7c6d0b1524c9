// This file implements `container prune`: removing every stopped container that
// passes docker's prune filters (until=, label=, label!=), counting the space their
// writable layers held.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"

namespace hako::container {

struct LabelFilter {
    std::string key;
    std::optional<std::string> value;  // label=KEY matches any value
    bool negated = false;              // label!=…
};

struct PruneFilter {
    std::optional<time_t> until;  // only containers created before this time
    std::vector<LabelFilter> labels;
};

// Parses --filter values: "until=TIMESTAMP|DURATION" (RFC 3339, a date, unix seconds,
// or a Go duration such as 1h30m, meaning that long ago), "label=K[=V]", "label!=K[=V]".
// `now` is the time durations count back from.
Result<PruneFilter> parse_prune_filters(const std::vector<std::string>& filters, time_t now);

// Whether a container passes the filter (ignoring its state).
bool matches(const PruneFilter& filter, const ContainerRecord& record);

struct ContainerPruneReport {
    std::vector<std::string> deleted;  // ids
    int64_t reclaimed_bytes = 0;
};

// Removes each container that is not running and passes `filter`.
Result<ContainerPruneReport> prune_containers(const ContainerStore& store, const PruneFilter& filter);

}  // namespace hako::container
