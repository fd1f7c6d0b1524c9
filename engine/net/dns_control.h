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

}  // namespace hako::dns
