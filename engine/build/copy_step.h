// This file implements COPY and ADD: which files a step copies (from the build
// context, honouring .dockerignore and --exclude, or from another stage's or image's
// root), a digest of their content and metadata for the cache (never mtimes), and
// the copy itself into the step's rootfs (--chown, --chmod, tar auto-extraction).
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/build/dockerignore.h"
#include "engine/sys/error.h"

namespace hako::build {

struct CopyItem {
    std::filesystem::path source;  // on the host
    std::string dest;              // inside the rootfs, absolute
    struct stat st {};
    bool extract = false;          // ADD of a local tar archive: unpack into dest
    bool file_to_path = false;     // a single file to a dest without '/': may land inside an existing folder
    bool contents_root = false;    // a source folder itself: only its destination is made
};

struct CopyPlan {
    std::vector<CopyItem> items;
    std::string digest;  // content and metadata of every source
};

struct CopyRequest {
    std::string instruction = "COPY";      // for errors
    std::filesystem::path source_root;     // the context, or a mounted stage/image root
    bool from_context = true;              // context: symlinks may not leave it; .dockerignore applies
    const IgnoreMatcher* ignore = nullptr;  // .dockerignore
    std::vector<std::string> excludes;     // --exclude patterns
    std::vector<std::string> sources;      // expanded source words
    std::string dest;                      // expanded destination, absolute (WORKDIR applied)
    bool dest_is_dir = false;              // the destination ended with '/'
    bool extract_archives = false;         // ADD
};

// Resolves sources (wildcards in the last component), refuses anything outside the
// source root, lists every entry to copy and hashes them.
Result<CopyPlan> plan_copy(const CopyRequest& request);

struct Ownership {
    uint32_t uid = 0, gid = 0;
};

// Writes the plan into `rootfs`, resolving destinations as the container would see
// them (absolute symlinks stay inside the rootfs); files get `owner` (root by
// default) and `chmod` when given, else their source mode.
Result<void> execute_copy(const CopyPlan& plan, const std::filesystem::path& rootfs, const Ownership& owner,
                          std::optional<mode_t> chmod, const std::string& instruction);

// Makes the folder `path` (absolute) inside `rootfs` with its missing parents,
// resolving symlinks as the container would see them.
Result<void> make_dir_in_rootfs(const std::filesystem::path& rootfs, const std::string& path, const Ownership& owner);

// Whether the file is a tar archive (plain, gzip, bzip2, xz or zstd) by its content.
bool is_archive(const std::filesystem::path& file);

}  // namespace hako::build
