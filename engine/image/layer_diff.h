// This file implements layer diffs: an overlayfs upper folder (a container's or a
// build step's writable layer) becomes a layer tar in Docker's form (whiteouts as
// `.wh.NAME`, opaque folders as `.wh..wh..opq`), and its changes can be listed A/C/D.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::image {

struct DiffStats {
    int64_t entries = 0;  // tar entries written
    int64_t bytes = 0;    // file content bytes
};

// Writes the upper folder `upper` as an uncompressed layer tar to `out_fd`. Entries
// are sorted by path; owners, modes, mtimes, xattrs (but trusted.overlay.*),
// symlinks, hardlinks, device nodes and fifos are kept; a 0:0 character device is a
// whiteout, a folder with trusted.overlay.opaque=y gets an opaque marker.
Result<DiffStats> write_layer_diff(const std::filesystem::path& upper, int out_fd);

// Whether `upper` holds anything at all (an empty upper needs no layer).
Result<bool> upper_is_empty(const std::filesystem::path& upper);

struct Change {
    char kind = 'C';   // 'A' added, 'C' changed, 'D' deleted
    std::string path;  // absolute, as the container sees it: "/etc/hosts"
};

// The changes `upper` makes over the lower folders (highest first, as overlayfs
// stacks them), sorted by path, as `docker diff` lists them: a path that exists
// below is C, otherwise A; a whiteout is D (nothing below it is listed).
Result<std::vector<Change>> list_changes(const std::filesystem::path& upper,
                                         const std::vector<std::filesystem::path>& lower_highest_first);

}  // namespace hako::image
