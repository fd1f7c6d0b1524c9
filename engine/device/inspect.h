// This file declares how a container record's devices section reads in `container
// inspect`: docker's HostConfig fields Devices, DeviceRequests (CDI names as
// docker 25+ shows them: driver "cdi") and DeviceCgroupRules.
#pragma once

#include <nlohmann/json.hpp>

namespace hako::device {

// {"Devices": [{"PathOnHost", "PathInContainer", "CgroupPermissions"}] | null,
//  "DeviceRequests": [{"Driver", "Count", "DeviceIDs", "Capabilities", "Options"}] | null,
//  "DeviceCgroupRules": [...] | null} for the record's `devices` section.
nlohmann::ordered_json inspect_host_config(const nlohmann::json& section);

}  // namespace hako::device
