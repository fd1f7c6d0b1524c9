// This file implements `container cp`: copying files between the host and a
// container, or out as and in from a tar stream, with docker cp's path rules. Paths in
// the container are resolved with openat2(RESOLVE_IN_ROOT) from the container's own
// root and everything below is walked by fds, so a symlink planted in the container
// never leads to the host's files (the CVE-2018-15664 class).
#pragma once

#include <filesystem>
#include <string>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::container {

// A container's root folder held open for a copy: the init's /proc/PID/root while it
// runs (with its mounts), else the container's overlay mounted for the copy (in a
// private mount namespace when the process can make one, so it dies with the process)
// and unmounted when this goes away.
class ContainerRoot {
public:
    static Result<ContainerRoot> open(const ContainerStore& store, const ContainerRecord& record);
    ContainerRoot(ContainerRoot&& other) noexcept;
    ContainerRoot& operator=(ContainerRoot&&) = delete;
    ~ContainerRoot();

    int fd() const { return fd_.get(); }

private:
    ContainerRoot() = default;
    sys::UniqueFd fd_;
    std::filesystem::path mount_point_;  // set while this owns a mount
};

struct CopyOptions {
    bool archive = false;      // -a: keep uid/gid from the source
    bool follow_link = false;  // -L: follow a symlink given as the source
};

// CTR:SRC → DEST on the host, or a tar on `out_fd` when dest is "-".
Result<void> copy_from_container(const ContainerStore& store, const ContainerRecord& record, const std::string& src,
                                 const std::string& dest, int out_fd, const CopyOptions& options);
// SRC on the host, or a tar read from `in_fd` when src is "-" → CTR:DEST.
Result<void> copy_to_container(const ContainerStore& store, const ContainerRecord& record, const std::string& src,
                               int in_fd, const std::string& dest, const CopyOptions& options);

}  // namespace hako::container
