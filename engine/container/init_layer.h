// This file declares the init layer: one read-only folder per state root,
// ROOT/init-layer, laid over the image's layers as the top lower layer of every
// container's rootfs, as docker's "-init" layer is. It holds the mount points every
// container gets, /etc/hosts, /etc/hostname and /etc/resolv.conf (net::prepare binds
// the container's own files there), so a container's upper layer holds only what
// its processes write: no copy-up of /etc and three files created at every start
// and removed at every rm (inode allocations and block discards are most of a
// start's file-system cost here), and `diff` and `commit` never see them.
#pragma once

#include <string>

#include "engine/store/state_root.h"
#include "engine/sys/error.h"

namespace hako::container {

// The layer's folder name under ROOT, as it appears in overlay's lowerdir.
inline constexpr const char* kInitLayerName = "init-layer";

// Makes ROOT/init-layer if it is missing (a stat when it exists). Concurrent callers
// build it apart and one rename wins, so no caller ever sees it half made.
Result<void> ensure_init_layer(const store::StateRoot& root);

}  // namespace hako::container
