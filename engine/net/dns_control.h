// This file declares how the rest of the engine drives the DNS responder of a
// state root: one process, started with the first user network, gone with the last.
#pragma once

#include <filesystem>

#include "engine/sys/error.h"

namespace hako::dns {

// Brings the responder in line with ROOT/networks: starts it when a bridge network
// exists and it does not run, tells it to reload its networks and records, stops it
// when no network is left. Cheap enough to call after every attach and detach.
Result<void> sync(const std::filesystem::path& root);

// The hidden verb `PROG --root ROOT __dns-responder` that sync execs (hako-exit
// beside the running binary, or the running binary itself) with its status pipe as
// fd 3: detaches (setsid, fork) and serves until no network is left.
[[noreturn]] void responder_verb(const std::filesystem::path& root);

}  // namespace hako::dns
