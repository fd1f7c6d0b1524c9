// This file declares the volume store: named and anonymous volumes of the local
// driver under ROOT/volumes/<name>/ (volume.json and the data folder _data), who
// uses them, and the driver options that mount something (tmpfs, a bind, a device)
// on the data folder while a container runs. docs/volumes.md describes the layout.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::volume {

struct VolumeSpec {
    std::string name;  // empty: an anonymous volume with a random 64-hex name
    std::string driver = "local";
    std::map<std::string, std::string> driver_opts, labels;
};

struct VolumeRecord {
    std::string name, driver, mountpoint, created;
    bool anonymous = false;
    std::map<std::string, std::string> driver_opts, labels;
};

// The label docker puts on anonymous volumes (hako uses the same key).
inline constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";

// docker's rule for local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ ; the error says
// what was wrong and hints at an absolute path when the name holds a slash.
Result<void> validate_volume_name(const std::string& name);
// Checks the local driver's options: type, device, o (o=bind needs an existing device).
Result<void> validate_driver_opts(const std::map<std::string, std::string>& driver_opts);

// Creates the volume; an existing volume of that name is returned as it is (as
// `docker volume create` does). Takes the root's lock.
Result<VolumeRecord> create_volume(const std::filesystem::path& root, const VolumeSpec& spec);
// Every volume, sorted by name.
Result<std::vector<VolumeRecord>> list_volumes(const std::filesystem::path& root);
// Unknown → "get NAME: no such volume" (status 1).
Result<VolumeRecord> find_volume(const std::filesystem::path& root, const std::string& name);
// Refuses a volume that any container uses, running or not (the error names the
// containers), with or without force, as docker does; force only makes an unknown
// name no error. Unmounts the driver's mount first and never deletes through a mount.
Result<void> remove_volume(const std::filesystem::path& root, const std::string& name, bool force);
// As remove_volume, for `container rm -v`: the container being removed does not count as a user.
Result<void> remove_volume_of(const std::filesystem::path& root, const std::string& name,
                              const std::string& container_id);
// The ids of the containers whose mounts use the volume (directly or through volumes_from).
Result<std::vector<std::string>> volume_users(const std::filesystem::path& root, const std::string& name);

// prune: removes the unused volumes (anonymous ones only unless `all`) whose labels
// match every `label_filters` entry ("key" or "key=value"; "!" prefix negates);
// returns the names removed.
Result<std::vector<std::string>> prune_volumes(const std::filesystem::path& root, bool all,
                                               const std::vector<std::string>& label_filters);

// While containers use it: the driver options' mount on the data folder (tmpfs, a
// bind of `device`, or `type` of `device` with `o`), made once for all users.
Result<void> mount_volume(const std::filesystem::path& root, const VolumeRecord& volume);
// Unmounts what mount_volume mounted; nothing to do for a plain volume.
void unmount_volume(const VolumeRecord& volume);
// Whether the volume's driver options mount something on its data folder.
bool mounts_something(const VolumeRecord& volume);
// Bytes used under the data folder (for prune's "reclaimed space").
uint64_t volume_size(const VolumeRecord& volume);

std::string record_to_json(const VolumeRecord& record);
Result<VolumeRecord> record_from_json(const std::string& text);

}  // namespace hako::volume
