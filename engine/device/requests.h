// This file declares device requests: the record's `devices` section (devices:,
// CDI names, GPU requests, cgroup rules), its mapping from a Compose service, and
// its resolution into edits the runtime can apply.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/device/cdi.h"
#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::device {

// Everything a record's devices section asks for, ready to apply.
struct Resolution {
    cdi::ContainerEdits edits;
    std::vector<runtime::DeviceRule> cgroup_rules;
    // What the container holds, for inspect and ps: [{"path", "host_path", "type", "major", "minor", "permissions"}].
    nlohmann::json held = nlohmann::json::array();
};

// "HOST[:CTR[:PERMS]]" → {host, container, perms}; errors name the entry.
struct DeviceMapping {
    std::string host, container, permissions;
};
Result<DeviceMapping> parse_device_mapping(const std::string& text);

// `--gpus all|N|"device=0,1"|count=N,capabilities=…,driver=…` → one request object.
Result<nlohmann::json> parse_gpus_flag(const std::string& text);

// The normalised Compose service's gpus, devices, device_cgroup_rules and
// deploy.resources.reservations.devices → the record's devices section.
Result<nlohmann::json> from_compose_service(const nlohmann::json& service);

// Checks the section's shape and meets every request on this host (CDI specs from
// section.cdi_spec_dirs or the defaults, NVIDIA discovery under section.nvidia_root
// or the default). Fails, saying what was asked and what exists, when it cannot.
Result<Resolution> resolve(const nlohmann::json& section);

}  // namespace hako::device
