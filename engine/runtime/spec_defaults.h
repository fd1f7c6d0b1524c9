// This file declares the builder that turns a small container configuration
// into an OCI runtime spec with Docker's defaults (capabilities, mounts, masked
// and read-only paths, devices, seccomp, namespaces).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/runtime/user.h"
#include "engine/sys/error.h"

namespace hako::runtime {

enum class NetworkMode { New, Host, None, Path };

struct ContainerConfig {
    std::vector<std::string> args;
    std::vector<std::string> env;        // KEY=VALUE
    std::string cwd = "/";
    std::string user;                    // "name[:group]" or "uid[:gid]"; empty is root
    std::vector<std::string> group_add;  // extra groups, names or numbers
    std::string hostname;
    std::string domainname;
    bool tty = false;
    bool read_only = false;
    bool privileged = false;
    bool no_new_privileges = false;
    bool seccomp_unconfined = false;
    std::vector<std::string> cap_add, cap_drop;  // "NET_ADMIN", "CAP_NET_ADMIN" or "ALL"
    std::optional<int64_t> memory;               // bytes
    std::optional<int64_t> memory_swap;          // memory + swap in bytes, -1 unlimited (docker's --memory-swap)
    std::optional<int64_t> memory_reservation;
    std::optional<double> cpus;
    std::optional<uint64_t> cpu_shares;
    std::optional<std::string> cpuset_cpus;
    std::optional<int64_t> pids_limit;
    std::vector<Rlimit> rlimits;
    std::map<std::string, std::string> sysctls;
    int64_t shm_size = 64 * 1024 * 1024;
    std::vector<Mount> mounts;  // binds and tmpfs, added after the defaults
    bool host_pid = false;  // share the host's pid namespace (--pid host)
    bool host_ipc = false;  // share the host's ipc namespace (--ipc host)
    NetworkMode network = NetworkMode::New;
    std::string network_path;  // NetworkMode::Path: a netns file to join
    std::string rootfs = "rootfs";  // root.path, relative to the bundle or absolute
    std::string cgroups_path;       // e.g. "/hako/ID"
    std::optional<bool> cgroup_namespace;  // default: only on a pure cgroup v2 host
};

// Docker's 14 default capabilities.
const std::vector<std::string>& default_capabilities();
// The capability set after `cap_add`/`cap_drop` (ALL allowed in both) and `privileged`.
Result<std::vector<std::string>> effective_capability_list(const ContainerConfig& config);

// The spec for `config` run as the already resolved `user`.
Result<Spec> build_spec(const ContainerConfig& config, const ResolvedUser& user);
// The same, resolving config.user (and group_add) in ROOTFS/etc/passwd and /etc/group.
Result<Spec> build_spec(const ContainerConfig& config, const std::filesystem::path& rootfs);

}  // namespace hako::runtime
