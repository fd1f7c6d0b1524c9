// This file implements the devices part of `container inspect` (inspect.h) from
// the record's devices section, in docker's field names and shapes.
#include "engine/device/inspect.h"

#include "engine/device/requests.h"

namespace hako::device {

nlohmann::ordered_json inspect_host_config(const nlohmann::json& section) {
    using ojson = nlohmann::ordered_json;
    ojson devices = nullptr, requests = nullptr, rules = nullptr;
    if (!section.is_object()) return {{"Devices", devices}, {"DeviceRequests", requests}, {"DeviceCgroupRules", rules}};
    for (const auto& entry : section.value("devices", nlohmann::json::array())) {
        if (!entry.is_string()) continue;
        auto mapping = parse_device_mapping(entry.get<std::string>());
        if (!mapping.ok()) continue;
        devices.push_back({{"PathOnHost", mapping->host},
                           {"PathInContainer", mapping->container},
                           {"CgroupPermissions", mapping->permissions}});
    }
    for (const auto& request : section.value("requests", nlohmann::json::array())) {
        if (!request.is_object()) continue;
        requests.push_back({{"Driver", request.value("driver", "")},
                            {"Count", request.value("count", 0)},
                            {"DeviceIDs", request.value("device_ids", nlohmann::json::array())},
                            {"Capabilities", request.value("capabilities", nlohmann::json::array())},
                            {"Options", request.value("options", nlohmann::json::object())}});
    }
    auto cdi = section.value("cdi", nlohmann::json::array());
    if (!cdi.empty())
        requests.push_back({{"Driver", "cdi"},
                            {"Count", 0},
                            {"DeviceIDs", cdi},
                            {"Capabilities", ojson::array()},
                            {"Options", ojson::object()}});
    for (const auto& rule : section.value("cgroup_rules", nlohmann::json::array())) rules.push_back(ojson(rule));
    return {{"Devices", devices}, {"DeviceRequests", requests}, {"DeviceCgroupRules", rules}};
}

}  // namespace hako::device
