// This file implements the device hooks of a container (container/hooks.h): the
// record's devices section is checked and resolved at create (unmet requests fail
// before anything starts) and applied to the OCI spec before each run.
#include <cstdlib>

#include "engine/container/hooks.h"
#include "engine/device/cdi.h"
#include "engine/device/edits.h"
#include "engine/device/requests.h"

namespace hako::device {

Result<void> check_create(const container::ContainerStore&, container::ContainerRecord& record) {
    auto& section = record.devices;
    if (section.is_null()) section = nlohmann::json::object();
    if (!section.is_object()) return Error("devices: must be an object");
    bool asks = false;
    for (const char* key : {"devices", "cdi", "requests", "cgroup_rules"})
        asks |= section.contains(key) && !section[key].empty();
    if (!asks) return ok();
    // Where specs and the NVIDIA tree come from is fixed at create, so a later start
    // from another shell resolves the same way.
    if (!section.contains("cdi_spec_dirs")) {
        if (const char* env = std::getenv("HAKO_CDI_SPEC_DIRS"); env && *env) {
            section["cdi_spec_dirs"] = nlohmann::json::array();
            for (const auto& dir : cdi::default_spec_dirs()) section["cdi_spec_dirs"].push_back(dir.string());
        }
    }
    if (!section.contains("nvidia_root"))
        if (const char* env = std::getenv("HAKO_NVIDIA_ROOT"); env && *env) section["nvidia_root"] = env;
    auto resolution = resolve(section);
    if (!resolution.ok()) return Error(resolution.error().message, ExitCode(125));
    section["held"] = resolution->held;
    return ok();
}

Result<void> apply(const container::RunContext& context, runtime::Spec& spec) {
    const auto& section = context.record.devices;
    if (!section.is_object() || section.empty()) return ok();
    auto resolution = TRY(resolve(section));
    TRY(apply_edits(resolution.edits, spec));
    for (const auto& rule : resolution.cgroup_rules) spec.linux_spec.resources.devices.push_back(rule);
    return ok();
}

}  // namespace hako::device
