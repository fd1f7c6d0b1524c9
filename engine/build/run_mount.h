// This file implements RUN --mount's pieces that need no builder state: reading a
// mount spec (type=bind|cache|tmpfs|secret|ssh and its fields, as BuildKit reads
// them), the secret files a step sees (copies on a private tmpfs, never in a layer),
// and the removal of the mount points the runtime had to create in a step's upper
// folder, so that no mount leaves a trace in the layer.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::build {

struct RunMount {
    std::string type = "bind";  // bind | cache | tmpfs | secret | ssh
    std::string target;         // absolute; secret and ssh fill in their defaults
    std::string id;             // cache, secret, ssh ("default" for ssh)
    std::string source;         // bind, cache: a path inside the context or `from`
    std::string from;           // bind, cache: a stage or image
    std::string env;            // secret: also (or only) set this variable to the value
    std::string size;           // tmpfs
    bool read_only = false;     // bind: true unless rw
    bool required = false;      // secret, ssh
    std::optional<mode_t> mode;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};

// Reads one --mount value ("type=secret,id=npmrc,target=/root/.npmrc,required").
// Unknown keys, a missing target and bad numbers are errors (without the line: the
// caller adds it). ssh mounts are numbered by `ssh_index` for their default target.
Result<RunMount> parse_run_mount(std::string_view spec, int ssh_index = 0);

// Files on a private tmpfs in DIR (mode 0700), unmounted with their owner; each
// secret of a step is written here and bound read-only into the container.
class SecretFiles {
public:
    static Result<SecretFiles> create(const std::filesystem::path& dir);
    SecretFiles(SecretFiles&& other) noexcept;
    SecretFiles& operator=(SecretFiles&&) = delete;
    ~SecretFiles();

    // Writes `content` as a new file with the mount's mode/uid/gid (0400 root) and
    // returns its path.
    Result<std::filesystem::path> add(const std::string& content, const RunMount& mount);

private:
    explicit SecretFiles(std::filesystem::path dir) : dir_(std::move(dir)) {}
    std::filesystem::path dir_;
    int count_ = 0;
};

// A writable view of a host folder or file whose writes are dropped (RUN
// --mount=type=bind,rw from the context): an overlay with a scratch upper folder in
// DIR, or a copy of a single file; unmounted with its owner.
class ScratchView {
public:
    static Result<ScratchView> create(const std::filesystem::path& source, const std::filesystem::path& dir);
    ScratchView(ScratchView&& other) noexcept;
    ScratchView& operator=(ScratchView&&) = delete;
    ~ScratchView();

    const std::filesystem::path& path() const { return path_; }

private:
    ScratchView(std::filesystem::path path, bool mounted) : path_(std::move(path)), mounted_(mounted) {}
    std::filesystem::path path_;
    bool mounted_ = false;
};

// The shallowest component of absolute `target` missing from `rootfs` (relative to
// it, e.g. "run/secrets"), which the runtime will create; nullopt when it all exists
// or a symlink is on the way (then nothing is removed later).
std::optional<std::filesystem::path> missing_mount_point(const std::filesystem::path& rootfs, const std::string& target);
// Removes UPPER/RELATIVE when it holds only empty folders and empty files (a mount
// point the runtime created, untouched by the step).
Result<void> remove_mount_point(const std::filesystem::path& upper, const std::filesystem::path& relative);

}  // namespace hako::build
