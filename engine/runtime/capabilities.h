// This file declares Linux capability names ↔ numbers and how a process's five
// capability sets are applied with raw capset/prctl (no libcap).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::runtime {

// "CAP_NET_ADMIN", "NET_ADMIN" or "net_admin" → 12; nullopt when unknown.
std::optional<int> capability_number(std::string_view name);
// 12 → "CAP_NET_ADMIN".
std::string capability_name(int number);
// Every capability this build knows, as "CAP_…" names (CAP_CHOWN … CAP_CHECKPOINT_RESTORE).
std::vector<std::string> all_capability_names();
// Names → bit mask; an unknown name is an error that names it.
Result<uint64_t> capability_mask(const std::vector<std::string>& names);

// Sets permitted, effective and inheritable, then raises ambient. Call it after
// setuid (with PR_SET_KEEPCAPS), and drop_bounding_set before setuid: dropping
// from the bounding set needs CAP_SETPCAP in the effective set.
Result<void> apply_capabilities(const CapabilitySets& sets);
// Drops every capability outside `bounding` from the bounding set.
Result<void> drop_bounding_set(uint64_t bounding);

}  // namespace hako::runtime
