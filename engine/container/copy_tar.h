// This file implements the two ends of a file copy as a stream of tar entries:
// sources (a folder tree walked through fds, a tar read from an fd) and sinks (a tar
// written to an fd, files created beneath a folder fd). Every step below the starting
// fd goes one component at a time without following symlinks, so a symlink swapped in
// by a container's process can never redirect a read or a write (CVE-2018-15664).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

struct archive;
struct archive_entry;

namespace hako::container {

// Reads the current entry's data: fills up to `size` bytes, 0 at its end.
using DataReader = std::function<Result<size_t>(char* buffer, size_t size)>;

class EntrySink {
public:
    virtual ~EntrySink() = default;
    // One entry (its pathname relative to the sink, "/"-separated), then its data.
    virtual Result<void> put(archive_entry* entry, const DataReader& data) = 0;
    virtual Result<void> finish() = 0;
};

// A tar (pax) stream written to `fd`.
Result<std::unique_ptr<EntrySink>> make_tar_sink(int fd);

struct DiskSinkOptions {
    bool keep_owner = false;  // chown to the entry's uid/gid (cp -a); otherwise the caller's
};
// Creates the entries beneath the folder `dir_fd`: each entry's parents are resolved
// with openat2(RESOLVE_BENEATH) (missing ones made), its last component is replaced,
// never followed, and a name or hardlink that climbs out of the folder is refused.
Result<std::unique_ptr<EntrySink>> make_disk_sink(int dir_fd, const DiskSinkOptions& options);

// Walks the file or folder `node` (an O_PATH fd, not followed if it is a symlink) and
// puts it into `sink`, the top entry named `top_name` and everything below it
// "top_name/child/…". An empty top_name puts only a folder's children, by their own
// names (cp's "SRC/." form).
Result<void> walk_tree(int node, const std::string& top_name, EntrySink& sink);

// Reads a tar (plain or compressed) from `fd` into `sink`. Names are confined: a
// leading "/" is dropped and ".." above the top is refused.
Result<void> read_tar(int fd, EntrySink& sink);

}  // namespace hako::container
