// This file declares how a container's init builds its filesystem view: mount
// options, the spec's mounts and devices inside the rootfs, pivot_root, then
// masked and read-only paths.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::runtime {

struct MountOptions {
    unsigned long flags = 0;        // MS_* applied when mounting
    unsigned long propagation = 0;  // MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE (| MS_REC)
    bool bind = false;
    bool recursive = false;         // rbind
    std::string data;               // filesystem options: "mode=755,size=65536k"
};
// Splits OCI mount options into flags, propagation and filesystem data.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// In the init, in its own mount namespace, before pivot_root: makes mounts
// private, binds the rootfs onto itself, mounts the spec's mounts, creates the
// devices and /dev links, binds `console_fd` (a pty slave, or -1) on /dev/console
// and creates the working directory.
Result<void> prepare_rootfs(const Spec& spec, const std::filesystem::path& rootfs, int console_fd);
// Makes `rootfs` the root with pivot_root and detaches the old root.
Result<void> pivot_to(const std::filesystem::path& rootfs);
// After pivot_root: writes sysctls, masks and write-protects the spec's paths and
// remounts the root read-only when asked.
Result<void> finalize_rootfs(const Spec& spec);

// Creates the spec's device nodes (and the default six when missing) in /dev of the rootfs `root_fd`.
Result<void> create_devices(int root_fd, const std::vector<Device>& devices);
// /dev/fd, /dev/stdin…, /dev/ptmx → pts/ptmx, /dev/core.
Result<void> create_dev_links(int root_fd);

}  // namespace hako::runtime
