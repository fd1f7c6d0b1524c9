// This file registers the device flags of container run/create (engine/device):
// --gpus, --device, --device-cgroup-rule and --cdi-spec-dir. They fill the request's
// `devices` section (shape in container_store.h); engine/device checks it at create.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/container/options.h"
#include "engine/device/cdi.h"
#include "engine/device/edits.h"
#include "engine/device/requests.h"
#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

using nlohmann::json;
constexpr ExitCode kRunFailure = container::kRunFailure;

struct DeviceRunFlags : ModuleRunFlags {
    std::vector<std::string> gpus, devices, cgroup_rules, cdi_spec_dirs;

    Result<void> finish(const Context& ctx, container::CreateRequest& request) override {
        json& section = request.devices;
        if (!section.is_object()) section = json::object();
        for (const auto& text : devices) {
            if (device::cdi::is_qualified_name(text)) {
                section["cdi"].push_back(text);
                continue;
            }
            auto mapping = device::parse_device_mapping(text);
            if (!mapping.ok()) return Error("invalid --device: " + mapping.error().message, kRunFailure);
            section["devices"].push_back(mapping->host + ":" + mapping->container + ":" + mapping->permissions);
        }
        for (const auto& text : gpus) {
            auto request_json = device::parse_gpus_flag(text);
            if (!request_json.ok()) return Error("invalid --gpus: " + request_json.error().message, kRunFailure);
            section["requests"].push_back(*request_json);
        }
        for (const auto& rule : cgroup_rules) {
            auto parsed = device::parse_cgroup_rule(rule);
            if (!parsed.ok()) return Error("invalid --device-cgroup-rule: " + parsed.error().message, kRunFailure);
            section["cgroup_rules"].push_back(rule);
        }
        for (const auto& dir : cdi_spec_dirs) {
            std::filesystem::path path(dir);
            if (path.is_relative()) path = ctx.working_directory / path;
            section["cdi_spec_dirs"].push_back(path.lexically_normal().string());
        }
        return ok();
    }
};

}  // namespace

std::shared_ptr<ModuleRunFlags> add_device_run_flags(CLI::App* cmd) {
    auto flags = std::make_shared<DeviceRunFlags>();
    cmd->add_option("--gpus", flags->gpus, "GPUs to add: all, N, \"device=0,1\" (NVIDIA)")->allow_extra_args(false)->group("Devices");
    cmd->add_option("--device", flags->devices, "Add a host device HOST[:CONTAINER[:PERMS]] or a CDI device vendor.com/class=name")
        ->allow_extra_args(false)->group("Devices");
    cmd->add_option("--device-cgroup-rule", flags->cgroup_rules, "Add a rule to the device cgroup ('c 1:3 rwm')")
        ->allow_extra_args(false)->group("Devices");
    cmd->add_option("--cdi-spec-dir", flags->cdi_spec_dirs,
                    "Read CDI specs from this folder (repeatable, later wins; default /etc/cdi, /var/run/cdi or $HAKO_CDI_SPEC_DIRS)")
        ->allow_extra_args(false)->group("Devices");
    return flags;
}

}  // namespace hako::cli
