// This file declares the Container Device Interface (CDI) registry: spec files
// (JSON or YAML) loaded from ordered folders, qualified device names
// (vendor.com/class=name) and the containerEdits they carry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::device::cdi {

struct DeviceNode {
    std::string path;       // in the container
    std::string host_path;  // empty: same as path
    std::string type;       // c, b, p; empty: taken from the host node
    std::optional<int64_t> major, minor;
    std::optional<uint32_t> file_mode, uid, gid;
    std::string permissions;  // rwm subset; empty: rwm
};

struct MountEdit {
    std::string host_path, container_path, type;
    std::vector<std::string> options;
};

struct HookEdit {
    std::string hook_name;  // createRuntime, createContainer, startContainer, poststart, poststop, prestart
    std::string path;
    std::vector<std::string> args, env;
    std::optional<int> timeout;
};

struct ContainerEdits {
    std::vector<std::string> env;
    std::vector<DeviceNode> device_nodes;
    std::vector<MountEdit> mounts;
    std::vector<HookEdit> hooks;
    std::vector<uint32_t> additional_gids;

    void append(const ContainerEdits& other);
};

struct Device {
    std::string name;
    ContainerEdits edits;
};

struct Spec {
    std::filesystem::path file;
    size_t priority = 0;  // index of the folder it came from: higher wins
    std::string kind;     // vendor.com/class
    ContainerEdits edits;
    std::vector<Device> devices;
};

// One parsed name: "nvidia.com/gpu=0" → {"nvidia.com/gpu", "0"}.
struct QualifiedName {
    std::string kind, name;
};

// True for strings shaped like vendor.com/class=name.
bool is_qualified_name(const std::string& text);
Result<QualifiedName> parse_qualified_name(const std::string& text);

// Reads one spec from its text (JSON or YAML); errors name `file`.
Result<Spec> parse_spec(const std::string& text, const std::filesystem::path& file);

// The folders to read: env HAKO_CDI_SPEC_DIRS (':'-separated) if set, else /etc/cdi, /var/run/cdi.
std::vector<std::filesystem::path> default_spec_dirs();

class Registry {
public:
    // Reads every *.json, *.yaml, *.yml in `dirs` (missing folders are skipped).
    // A device defined for the same kind in two files of one folder is a conflict;
    // in different folders the later folder wins.
    static Result<Registry> load(const std::vector<std::filesystem::path>& dirs);

    // The edits for `names` (each a qualified name; "=all" takes every device of its kind):
    // each spec's own edits once, then each device's. Errors name the device and the spec file.
    Result<ContainerEdits> resolve(const std::vector<std::string>& names) const;
    // Device names of `kind` in definition order (empty when the kind is unknown).
    std::vector<std::string> device_names(const std::string& kind) const;
    std::vector<std::string> kinds() const;
    bool has_kind(const std::string& kind) const { return kinds_.count(kind) != 0; }

private:
    std::vector<Spec> specs_;
    // kind → device name → where it is defined (the winning spec)
    std::map<std::string, std::map<std::string, std::pair<size_t, size_t>>> kinds_;
    std::map<std::string, std::vector<std::string>> order_;
};

}  // namespace hako::device::cdi
