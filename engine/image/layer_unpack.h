// This file implements safe extraction of one image layer (a tar, plain, gzip or
// zstd) into a folder that overlayfs will mount: nothing is ever written outside
// the folder, and Docker's whiteouts become overlayfs whiteouts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/sys/error.h"

namespace hako::image {

enum class Compression { None, Gzip, Zstd, Other };

struct UnpackResult {
    std::string diff_id;        // sha256 of the uncompressed tar stream
    int64_t tar_size = 0;       // bytes of the uncompressed tar stream
    int64_t content_size = 0;   // bytes of regular-file content (Docker's layer "Size")
    Compression compression = Compression::None;
    int64_t entries = 0;
};

// Reads a layer tar from `input_fd` (to its end) and extracts it into `dest`, an
// existing folder. The rules:
// - names are normalised lexically: a leading "/" is dropped (confined), a ".."
//   that climbs above the layer is refused;
// - every parent folder is resolved with openat2(RESOLVE_BENEATH), so a write
//   through a symlink (from this tar or already there) that leads out of the layer
//   is refused, and the last component is never followed;
// - a hardlink whose target lies outside the layer is refused;
// - `.wh.NAME` becomes a 0:0 character device NAME, `.wh..wh..opq` sets
//   trusted.overlay.opaque=y on its folder; trusted.overlay.* xattrs in the tar are
//   dropped so a layer cannot forge overlay metadata;
// - owners, modes (with setuid/setgid/sticky), mtimes, xattrs, device nodes and
//   fifos are kept; folder times are set after all entries are written.
// A refused entry fails the whole extraction with an error that names it; the
// caller discards `dest`.
Result<UnpackResult> unpack_layer(int input_fd, const std::filesystem::path& dest);

const char* compression_name(Compression compression);

}  // namespace hako::image
