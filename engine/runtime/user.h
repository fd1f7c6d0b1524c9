// This file declares how a container's `user` ("name", "uid", "name:group",
// "uid:gid") becomes numeric ids from the image's /etc/passwd and /etc/group.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::runtime {

struct ResolvedUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;  // groups listing the user, then extra groups
    std::string home = "/";
};

// Resolves `user` against passwd and group file contents, as docker does: a
// number not in passwd is used as is (gid 0), a name not in passwd is an error;
// `extra_groups` (names or numbers) are appended to the supplementary groups.
Result<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd_text,
                                  std::string_view group_text,
                                  const std::vector<std::string>& extra_groups = {});

// The same, reading ROOTFS/etc/passwd and ROOTFS/etc/group confined to the rootfs
// (a missing file counts as empty).
Result<ResolvedUser> resolve_user_in_rootfs(const std::filesystem::path& rootfs, std::string_view user,
                                            const std::vector<std::string>& extra_groups = {});

}  // namespace hako::runtime
