// This file implements the application of device edits to an OCI spec: device
// nodes completed from the host, their device cgroup rules, mounts, env, groups and hooks.
#include "engine/device/edits.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <regex>

namespace hako::device {
namespace {

// The spec's hook list a CDI hookName lands in (the names are the OCI phases).
std::vector<runtime::Hook>* hook_list(runtime::Hooks& hooks, const std::string& name) {
    if (name == "prestart") return &hooks.prestart;
    if (name == "createRuntime") return &hooks.create_runtime;
    if (name == "createContainer") return &hooks.create_container;
    if (name == "startContainer") return &hooks.start_container;
    if (name == "poststart") return &hooks.poststart;
    if (name == "poststop") return &hooks.poststop;
    return nullptr;
}

}  // namespace

Result<cdi::DeviceNode> complete_node(const cdi::DeviceNode& node) {
    cdi::DeviceNode out = node;
    std::string host = node.host_path.empty() ? node.path : node.host_path;
    if (out.type.empty() || !out.major || !out.minor || !out.file_mode) {
        struct stat st{};
        if (::stat(host.c_str(), &st) != 0) {
            if (out.type.empty() || !out.major) return Error::from_syscall("stat", errno, host);
        } else {
            std::string type = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" : S_ISFIFO(st.st_mode) ? "p" : "";
            if (type.empty()) return Error("device " + host + ": not a device node");
            if (out.type.empty()) out.type = type;
            if (type != "p" && !out.major) out.major = major(st.st_rdev);
            if (type != "p" && !out.minor) out.minor = minor(st.st_rdev);
            if (!out.file_mode) out.file_mode = st.st_mode & 0777;
        }
    }
    if (out.type == "u") out.type = "c";
    if (out.type != "p" && (!out.major || !out.minor)) return Error("device " + host + ": major/minor missing");
    if (out.permissions.empty()) out.permissions = "rwm";
    return out;
}

Result<void> apply_edits(const cdi::ContainerEdits& edits, runtime::Spec& spec) {
    auto& devices = spec.linux_spec.devices;
    for (const auto& raw : edits.device_nodes) {
        auto node = TRY(complete_node(raw));
        runtime::Device device{node.path, node.type, node.major.value_or(0), node.minor.value_or(0),
                               node.file_mode, node.uid, node.gid};
        devices.erase(std::remove_if(devices.begin(), devices.end(),
                                     [&](const runtime::Device& d) { return d.path == node.path; }),
                      devices.end());
        devices.push_back(device);
        if (node.type != "p")
            spec.linux_spec.resources.devices.push_back({true, node.type, node.major, node.minor, node.permissions});
    }
    for (const auto& m : edits.mounts) {
        runtime::Mount mount{m.container_path, m.type.empty() ? "bind" : m.type, m.host_path, m.options};
        if (mount.options.empty()) mount.options = {"ro", "nosuid", "nodev", "bind"};
        if (mount.type == "bind" && std::find(mount.options.begin(), mount.options.end(), "bind") == mount.options.end() &&
            std::find(mount.options.begin(), mount.options.end(), "rbind") == mount.options.end())
            mount.options.push_back("bind");
        auto& mounts = spec.mounts;
        mounts.erase(std::remove_if(mounts.begin(), mounts.end(),
                                    [&](const runtime::Mount& x) { return x.destination == mount.destination; }),
                     mounts.end());
        mounts.push_back(std::move(mount));
    }
    auto& env = spec.process.env;
    for (const auto& entry : edits.env) {
        std::string key = entry.substr(0, entry.find('='));
        if (key == "LD_LIBRARY_PATH") {  // the image's own folders stay first
            auto it = std::find_if(env.begin(), env.end(), [](const std::string& e) { return e.starts_with("LD_LIBRARY_PATH="); });
            if (it != env.end()) {
                *it += ":" + entry.substr(key.size() + 1);
                continue;
            }
        }
        env.erase(std::remove_if(env.begin(), env.end(),
                                 [&](const std::string& e) { return e.substr(0, e.find('=')) == key; }),
                  env.end());
        env.push_back(entry);
    }
    auto& gids = spec.process.user.additional_gids;
    for (uint32_t gid : edits.additional_gids)
        if (std::find(gids.begin(), gids.end(), gid) == gids.end()) gids.push_back(gid);
    for (const auto& edit : edits.hooks) {
        auto* phase = hook_list(spec.hooks, edit.hook_name);
        if (!phase) return Error("CDI hook " + edit.path + ": unknown hookName " + edit.hook_name);
        phase->push_back(runtime::Hook{edit.path, edit.args, edit.env, edit.timeout});
    }
    return ok();
}

Result<runtime::DeviceRule> parse_cgroup_rule(const std::string& text) {
    static const std::regex rule(R"(^\s*([acb])(?:\s+(\*|[0-9]+):(\*|[0-9]+))?(?:\s+([rwm]{1,3}))?\s*$)");
    std::smatch m;
    if (!std::regex_match(text, m, rule))
        return Error::usage("device cgroup rule '" + text + "': want TYPE MAJOR:MINOR PERMS, e.g. 'c 1:3 rwm'");
    runtime::DeviceRule out;
    out.allow = true;
    out.type = m[1];
    if (m[2].matched && m[2] != "*") out.major = std::stoll(m[2]);
    if (m[3].matched && m[3] != "*") out.minor = std::stoll(m[3]);
    out.access = m[4].matched ? std::string(m[4]) : "rwm";
    return out;
}

}  // namespace hako::device
