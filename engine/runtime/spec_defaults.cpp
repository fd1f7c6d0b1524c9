// This file implements the Docker-like defaults of a container's OCI spec.
#include "engine/runtime/spec_defaults.h"

#include <algorithm>

#include "engine/runtime/capabilities.h"
#include "engine/runtime/cgroup.h"
#include "engine/runtime/seccomp.h"
#include "engine/sys/file.h"

namespace hako::runtime {
namespace {

bool has_env(const std::vector<std::string>& env, const std::string& key) {
    return std::any_of(env.begin(), env.end(), [&](const auto& e) { return e.starts_with(key + "="); });
}

std::vector<Mount> default_mounts(const ContainerConfig& c) {
    std::vector<std::string> sys_options = {"nosuid", "noexec", "nodev"};
    if (!c.privileged) sys_options.push_back("ro");
    return {
        {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
        {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
        {"/sys", "sysfs", "sysfs", sys_options},
        {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
        {"/dev/shm", "tmpfs", "shm",
         {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(c.shm_size)}},
    };
}

std::vector<Device> default_devices() {
    auto device = [](const char* path, int64_t major, int64_t minor) {
        return Device{path, "c", major, minor, 0666, 0, 0};
    };
    return {device("/dev/null", 1, 3),    device("/dev/zero", 1, 5),   device("/dev/full", 1, 7),
            device("/dev/random", 1, 8),  device("/dev/urandom", 1, 9), device("/dev/tty", 5, 0)};
}

std::vector<DeviceRule> default_device_rules(bool privileged) {
    if (privileged) return {{true, "a", std::nullopt, std::nullopt, "rwm"}};
    auto allow = [](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor, const char* access) {
        return DeviceRule{true, type, major, minor, access};
    };
    return {{false, "a", std::nullopt, std::nullopt, "rwm"},
            allow("c", std::nullopt, std::nullopt, "m"),
            allow("b", std::nullopt, std::nullopt, "m"),
            allow("c", 1, 3, "rwm"),
            allow("c", 1, 5, "rwm"),
            allow("c", 1, 7, "rwm"),
            allow("c", 1, 8, "rwm"),
            allow("c", 1, 9, "rwm"),
            allow("c", 5, 0, "rwm"),
            allow("c", 5, 1, "rwm"),
            allow("c", 5, 2, "rwm"),
            allow("c", 136, std::nullopt, "rwm"),
            allow("c", 10, 200, "rwm")};
}

bool host_is_pure_cgroup_v2() {
    auto mounts = host_cgroup_mounts();
    return mounts.ok() && layout_of(*mounts) == CgroupLayout::V2;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",     "CAP_FOWNER",         "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",     "CAP_SETFCAP",        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
    return caps;
}

Result<std::vector<std::string>> effective_capability_list(const ContainerConfig& c) {
    auto normalize = [](const std::string& name) -> Result<std::string> {
        std::string upper;
        for (char ch : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (upper == "ALL" || upper == "CAP_ALL") return std::string("ALL");
        auto number = capability_number(name);
        if (!number) return Error::usage("unknown capability: \"" + name + "\"");
        return capability_name(*number);
    };
    if (c.privileged) return all_capability_names();
    std::vector<std::string> caps = default_capabilities();
    for (const auto& name : c.cap_drop) {
        auto cap = TRY(normalize(name));
        if (cap == "ALL") caps.clear();
        else caps.erase(std::remove(caps.begin(), caps.end(), cap), caps.end());
    }
    for (const auto& name : c.cap_add) {
        auto cap = TRY(normalize(name));
        if (cap == "ALL") return all_capability_names();
        if (std::find(caps.begin(), caps.end(), cap) == caps.end()) caps.push_back(cap);
    }
    return caps;
}

Result<Spec> build_spec(const ContainerConfig& c, const ResolvedUser& user) {
    if (c.args.empty()) return Error::usage("no command given to run in the container");
    Spec s;
    s.root = {c.rootfs, c.read_only};
    s.hostname = c.hostname;
    s.domainname = c.domainname;

    Process& p = s.process;
    p.terminal = c.tty;
    p.args = c.args;
    p.env = c.env;
    if (!has_env(p.env, "PATH")) p.env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (!c.hostname.empty() && !has_env(p.env, "HOSTNAME")) p.env.push_back("HOSTNAME=" + c.hostname);
    if (c.tty && !has_env(p.env, "TERM")) p.env.push_back("TERM=xterm");
    if (!has_env(p.env, "HOME")) p.env.push_back("HOME=" + user.home);
    p.cwd = c.cwd.empty() ? "/" : c.cwd;
    p.user = {user.uid, user.gid, user.additional_gids, std::nullopt};
    p.rlimits = c.rlimits;
    p.no_new_privileges = c.no_new_privileges;
    auto caps = TRY(effective_capability_list(c));
    p.capabilities.bounding = caps;
    // As docker does: a non-root user gets the bounding set only, so it holds no
    // capability unless a setuid or file-capability binary grants it.
    if (user.uid == 0) {
        p.capabilities.effective = caps;
        p.capabilities.permitted = caps;
    }

    s.mounts = default_mounts(c);
    for (const auto& m : c.mounts) {
        s.mounts.erase(std::remove_if(s.mounts.begin(), s.mounts.end(),
                                      [&](const Mount& d) { return d.destination == m.destination; }),
                       s.mounts.end());
        s.mounts.push_back(m);
    }

    Linux& l = s.linux_spec;
    if (!c.host_pid) l.namespaces.push_back({"pid", ""});
    if (!c.host_ipc) l.namespaces.push_back({"ipc", ""});
    l.namespaces.push_back({"uts", ""});
    l.namespaces.push_back({"mount", ""});
    if (c.network == NetworkMode::New || c.network == NetworkMode::None) l.namespaces.push_back({"network", ""});
    if (c.network == NetworkMode::Path) l.namespaces.push_back({"network", c.network_path});
    if (c.cgroup_namespace.value_or(host_is_pure_cgroup_v2())) l.namespaces.push_back({"cgroup", ""});
    l.devices = default_devices();
    l.cgroups_path = c.cgroups_path;
    Resources& r = l.resources;
    r.devices = default_device_rules(c.privileged);
    r.memory_limit = c.memory;
    r.memory_reservation = c.memory_reservation;
    r.memory_swap = c.memory_swap;
    if (c.memory && !c.memory_swap) r.memory_swap = *c.memory * 2;  // docker: swap as large as memory
    if (c.cpus) {
        r.cpu_period = 100000;
        r.cpu_quota = cpu_quota_for(*c.cpus);
    }
    r.cpu_shares = c.cpu_shares;
    r.cpuset_cpus = c.cpuset_cpus;
    r.pids_limit = c.pids_limit;
    if (!c.privileged && !c.seccomp_unconfined) l.seccomp = default_seccomp_profile(TRY(capability_mask(caps)));
    l.sysctl = c.sysctls;
    if (!c.privileged) {
        l.masked_paths = {"/proc/asound",        "/proc/acpi",       "/proc/interrupts", "/proc/kcore",
                          "/proc/keys",          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                          "/proc/sched_debug",   "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap"};
        l.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    }
    return s;
}

Result<Spec> build_spec(const ContainerConfig& config, const std::filesystem::path& rootfs) {
    auto user = TRY(resolve_user_in_rootfs(rootfs, config.user, config.group_add));
    return build_spec(config, user);
}

}  // namespace hako::runtime
