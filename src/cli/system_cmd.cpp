// This file registers `hako system info`: basic engine facts (version, state root,
// cgroup layout, kernel) and the devices it can hand out (CDI kinds and devices,
// NVIDIA GPUs found without CDI, AMD/Intel render nodes), as text or JSON.
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "engine/device/cdi.h"
#include "engine/device/nvidia.h"
#include "engine/store/state_root.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string cgroup_layout() {
    std::error_code ec;
    if (fs::exists("/sys/fs/cgroup/cgroup.controllers", ec)) return "v2";
    if (fs::exists("/sys/fs/cgroup/unified", ec)) return "hybrid (v1 controllers, v2 unified)";
    return "v1";
}

Result<json> gather(const Context& ctx, const std::vector<std::string>& cdi_dirs) {
    json info;
    utsname un{};
    ::uname(&un);
    info["ServerVersion"] = HAKO_VERSION;
    info["HakoRootDir"] = ctx.global.root.empty() ? std::string(store::kDefaultRoot) : ctx.global.root;
    info["KernelVersion"] = un.release;
    info["Architecture"] = un.machine;
    info["CgroupVersion"] = cgroup_layout();
    info["NCPU"] = ::sysconf(_SC_NPROCESSORS_ONLN);
    info["MemTotal"] = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);

    std::vector<fs::path> dirs;
    for (const auto& d : cdi_dirs) dirs.emplace_back(d);
    if (dirs.empty()) dirs = device::cdi::default_spec_dirs();
    json cdi = {{"SpecDirs", json::array()}, {"Kinds", json::object()}};
    for (const auto& d : dirs) cdi["SpecDirs"].push_back(d.string());
    auto registry = device::cdi::Registry::load(dirs);
    if (registry.ok()) {
        for (const auto& kind : registry->kinds()) cdi["Kinds"][kind] = registry->device_names(kind);
    } else {
        cdi["Error"] = registry.error().message;
    }
    info["CDI"] = cdi;

    auto layout = device::nvidia::discover(device::nvidia::default_root());
    json nvidia = {{"Root", layout.root.string()}, {"GPUs", json::array()}, {"Libraries", layout.libraries.size()}};
    for (const auto& gpu : layout.gpus)
        nvidia["GPUs"].push_back({{"Index", gpu.index}, {"UUID", gpu.uuid}, {"Node", gpu.node.string()}});
    for (const auto& bin : layout.binaries) nvidia["Binaries"].push_back(bin.string());
    info["NVIDIA"] = nvidia;

    json render = json::array();
    std::error_code ec;
    if (fs::exists("/dev/kfd", ec)) render.push_back("/dev/kfd");
    for (const auto& entry : fs::directory_iterator("/dev/dri", ec))
        if (entry.path().filename().string().starts_with("renderD")) render.push_back(entry.path().string());
    info["RenderNodes"] = render;
    return info;
}

std::string as_text(const json& info) {
    std::string out;
    auto line = [&](const std::string& key, const std::string& value) { out += key + ": " + value + "\n"; };
    line("Server Version", info["ServerVersion"]);
    line("Hako Root Dir", info["HakoRootDir"]);
    line("Kernel Version", info["KernelVersion"]);
    line("Architecture", info["Architecture"]);
    line("Cgroup Version", info["CgroupVersion"]);
    line("CPUs", std::to_string(info["NCPU"].get<int64_t>()));
    line("Total Memory", std::to_string(info["MemTotal"].get<int64_t>() >> 20) + " MiB");
    std::string dirs;
    for (const auto& d : info["CDI"]["SpecDirs"]) dirs += (dirs.empty() ? "" : ", ") + d.get<std::string>();
    line("CDI Spec Dirs", dirs);
    if (info["CDI"].contains("Error")) line("CDI Error", info["CDI"]["Error"]);
    out += "CDI Devices:\n";
    if (info["CDI"]["Kinds"].empty()) out += "  (none)\n";
    for (const auto& [kind, names] : info["CDI"]["Kinds"].items()) {
        out += "  " + kind + ":";
        for (const auto& n : names) out += " " + kind + "=" + n.get<std::string>();
        out += " " + kind + "=all\n";
    }
    out += "NVIDIA GPUs (discovered under " + info["NVIDIA"]["Root"].get<std::string>() + "):\n";
    if (info["NVIDIA"]["GPUs"].empty()) out += "  (none)\n";
    for (const auto& gpu : info["NVIDIA"]["GPUs"])
        out += "  " + std::to_string(gpu["Index"].get<int>()) + " " + gpu["Node"].get<std::string>() +
               (gpu["UUID"].get<std::string>().empty() ? "" : " " + gpu["UUID"].get<std::string>()) + "\n";
    out += "Render Nodes:";
    if (info["RenderNodes"].empty()) out += " (none)";
    for (const auto& n : info["RenderNodes"]) out += " " + n.get<std::string>();
    out += "\n";
    return out;
}

}  // namespace

void add_system_commands(CLI::App& app, Context& ctx) {
    CLI::App* system = app.add_subcommand("system", "Manage hako");
    system->require_subcommand(1);
    CLI::App* info = system->add_subcommand("info", "Display system-wide information, with the devices hako can hand out");
    auto format = std::make_shared<std::string>();
    auto dirs = std::make_shared<std::vector<std::string>>();
    info->add_option("-f,--format", *format, "json for JSON output");
    info->add_option("--cdi-spec-dir", *dirs, "Read CDI specs from this folder (repeatable)");
    info->callback([&ctx, format, dirs] {
        auto result = [&]() -> Result<void> {
            json data = TRY(gather(ctx, *dirs));
            if (*format == "json" || *format == "{{json .}}") std::cout << data.dump() << "\n";
            else if (format->empty()) std::cout << as_text(data);
            else return Error::usage("--format: want json");
            return ok();
        }();
        ctx.exit_status = report(result);
    });
}

}  // namespace hako::cli
