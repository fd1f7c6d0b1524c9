// Tests of engine/device/inspect: the record's devices section in docker's
// HostConfig shapes (Devices, DeviceRequests with CDI as driver "cdi", DeviceCgroupRules).
#include <catch2/catch.hpp>

#include "engine/device/inspect.h"

using hako::device::inspect_host_config;
using nlohmann::json;

TEST_CASE("device inspect: an empty section shows nulls, as docker does") {
    auto host = inspect_host_config(json::object());
    CHECK(host["Devices"].is_null());
    CHECK(host["DeviceRequests"].is_null());
    CHECK(host["DeviceCgroupRules"].is_null());
    CHECK(inspect_host_config(json()).dump() == host.dump());
}

TEST_CASE("device inspect: devices, GPU requests, CDI names and cgroup rules") {
    json section = {{"devices", {"/dev/kfd:/dev/kfd:rwm", "/tmp/n:/dev/x:r"}},
                    {"cdi", {"nvidia.com/gpu=0"}},
                    {"requests", {{{"driver", "nvidia"}, {"count", -1}, {"device_ids", json::array()},
                                   {"capabilities", {{"gpu"}}}, {"options", json::object()}}}},
                    {"cgroup_rules", {"c 189:* rwm"}},
                    {"held", json::array()}};
    auto host = inspect_host_config(section);
    REQUIRE(host["Devices"].size() == 2);
    CHECK(host["Devices"][1].dump() == R"({"PathOnHost":"/tmp/n","PathInContainer":"/dev/x","CgroupPermissions":"r"})");
    REQUIRE(host["DeviceRequests"].size() == 2);
    CHECK(host["DeviceRequests"][0].dump() ==
          R"({"Driver":"nvidia","Count":-1,"DeviceIDs":[],"Capabilities":[["gpu"]],"Options":{}})");
    CHECK(host["DeviceRequests"][1]["Driver"] == "cdi");
    CHECK(host["DeviceRequests"][1]["DeviceIDs"] == json({"nvidia.com/gpu=0"}));
    CHECK(host["DeviceCgroupRules"] == json({"c 189:* rwm"}));
}
