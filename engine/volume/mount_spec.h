// This file declares the mount entries of a container record (its `mounts`
// section): docker's flag syntaxes (-v, --tmpfs, --mount, --volumes-from) turned
// into entries, the check and completion of an entry, and the container's
// effective mounts with volumes_from expanded. All pure but effective_mounts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"

namespace hako::volume {

// Splits on `separator`, dropping empty fields.
std::vector<std::string> split_list(const std::string& text, char separator);

// -v/--volume: "NAME:/ctr[:opts]", "/host:/ctr[:opts]" or "/ctr" (anonymous volume);
// opts: ro, rw, nocopy, z, Z and the propagation modes.
Result<nlohmann::json> parse_volume_flag(const std::string& spec);
// --tmpfs "/ctr[:size=64m,mode=1777,ro,exec,…]" (noexec unless exec, as docker).
Result<nlohmann::json> parse_tmpfs_flag(const std::string& spec);
// --mount "type=bind|volume|tmpfs,source=…,target=…,readonly,bind-propagation=…,
// volume-nocopy,volume-subpath=…,volume-opt=k=v,volume-label=k=v,tmpfs-size=…,tmpfs-mode=…";
// hako also takes "type=secret|config,source=NAME,file=HOST-PATH[,target=…][,uid=…,gid=…,mode=0440]".
Result<nlohmann::json> parse_mount_flag(const std::string& spec);
// --volumes-from "CONTAINER[:ro|rw]".
Result<nlohmann::json> parse_volumes_from_flag(const std::string& spec);

// Checks one entry and fills its defaults (read_only false, bind.propagation
// "rprivate", tmpfs size/mode as numbers, secret/config targets); `where` names
// the entry in errors ("mounts[2]"). Reads nothing from the disk.
Result<nlohmann::json> normalize_mount(const nlohmann::json& mount, const std::string& where);

// "/run/secrets/NAME" for a secret without target (relative targets go under
// /run/secrets too), "/NAME" for a config.
std::string default_file_target(const std::string& type, const std::string& source, const std::string& target);

// The record's mounts with each volumes_from entry replaced by the source
// container's bind and volume mounts (read-only with :ro); the container's own
// mount wins where targets clash.
Result<nlohmann::json> effective_mounts(const container::ContainerStore& store, const container::ContainerRecord& record);

}  // namespace hako::volume
