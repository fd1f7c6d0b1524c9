// This file declares the OCI runtime-spec structures hako's runtime reads from a
// bundle's config.json (the subset Linux containers use) and their JSON mapping.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::runtime {

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    std::optional<uint32_t> umask;
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    uint64_t hard = 0;
    uint64_t soft = 0;
};

struct CapabilitySets {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct Process {
    bool terminal = false;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    CapabilitySets capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
};

struct Root {
    std::string path;
    bool readonly = false;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
};

struct Namespace {
    std::string type;  // pid, network, mount, ipc, uts, cgroup, user
    std::string path;  // join this one instead of creating a new one
};

struct Device {
    std::string path;
    std::string type;  // c, b, p, u
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint32_t> file_mode;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
};

struct DeviceRule {
    bool allow = false;
    std::string type;  // a, c, b ("" means a)
    std::optional<int64_t> major;
    std::optional<int64_t> minor;
    std::string access;  // rwm
};

struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<int64_t> memory_limit;
    std::optional<int64_t> memory_swap;  // memory + swap, as in cgroup v1 and OCI
    std::optional<int64_t> memory_reservation;
    std::optional<int64_t> cpu_quota;
    std::optional<uint64_t> cpu_period;
    std::optional<uint64_t> cpu_shares;
    std::optional<std::string> cpuset_cpus;
    std::optional<int64_t> pids_limit;
};

struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;
    std::string op;  // SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ, …
};

struct SeccompRule {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_ERRNO, SCMP_ACT_ALLOW, …
    std::optional<uint32_t> errno_ret;
    std::vector<SeccompArg> args;
};

struct Seccomp {
    std::string default_action;
    std::optional<uint32_t> default_errno_ret;
    std::vector<std::string> architectures;
    std::vector<SeccompRule> syscalls;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<Device> devices;
    std::string cgroups_path;
    Resources resources;
    std::optional<Seccomp> seccomp;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string rootfs_propagation;
};

// One OCI hook: an executable run at a point of the container's lifecycle with
// the container's state JSON on its stdin (engine/runtime/oci_hooks.h runs them).
struct Hook {
    std::string path;
    std::vector<std::string> args;  // argv, args[0] included; empty: {path}
    std::vector<std::string> env;
    std::optional<int> timeout;  // seconds
};

struct Hooks {
    std::vector<Hook> prestart;  // deprecated; run with createRuntime
    std::vector<Hook> create_runtime, create_container, start_container, poststart, poststop;

    bool empty() const {
        return prestart.empty() && create_runtime.empty() && create_container.empty() && start_container.empty() &&
               poststart.empty() && poststop.empty();
    }
};

struct Spec {
    std::string oci_version = "1.0.2";
    Process process;
    Root root;
    std::string hostname;
    std::string domainname;  // the UTS namespace's NIS domain name (setdomainname)
    std::vector<Mount> mounts;
    Linux linux_spec;  // "linux" (a predefined macro in GNU C++)
    std::map<std::string, std::string> annotations;
    Hooks hooks;

    // The namespace entry of `type`, or nullptr when the container shares the host's.
    const Namespace* find_namespace(std::string_view type) const;
};

// config.json text ↔ Spec. Parsing reports the first field that has the wrong shape.
Result<Spec> parse_spec(std::string_view json_text);
// `indent` as nlohmann's dump: 2 for people, -1 (one line) for what only programs read.
std::string to_json(const Spec& spec, int indent = 2);
// Reads BUNDLE/config.json.
Result<Spec> load_bundle_spec(const std::filesystem::path& bundle);

}  // namespace hako::runtime
