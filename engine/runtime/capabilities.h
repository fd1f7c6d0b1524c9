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
// The same when the caller already knows its bounding set (`bounding_now`, e.g.
// from /proc/self/status): one capset instead of a PR_CAPBSET_READ per capability.
Result<void> apply_capabilities(const CapabilitySets& sets, uint64_t bounding_now);
// Drops every capability outside `bounding` from the bounding set; those already
// missing from `bounding_now` (when known) are skipped.
Result<void> drop_bounding_set(uint64_t bounding, uint64_t bounding_now = ~uint64_t{0});
// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap,
// read once per process: a runtime calls it before clone so children inherit it).
int last_capability();

}  // namespace hako::runtime
