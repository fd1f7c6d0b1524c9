// This file implements the container store: one folder per container under
// ROOT/containers/<id>/ holding its hako record (container.json, written once at
// create), its run state (state.json, rewritten atomically by the monitor), the
// OCI bundle (config.json, rootfs/ where the overlay is mounted while it runs,
// upper/ and work/) and its log (<id>-json.log). docs/formats.md describes them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/container/options.h"
#include "engine/store/state_root.h"
#include "engine/sys/error.h"

namespace hako::container {

struct ContainerRecord {
    std::string id;    // 64 hex
    std::string name;  // without the leading '/'
    std::string created;
    std::string image;     // the reference as the user wrote it
    std::string image_id;  // "sha256:…"
    // Config
    std::vector<std::string> env;
    std::vector<std::string> cmd;
    std::vector<std::string> entrypoint;
    std::string working_dir;
    std::string user;
    std::map<std::string, std::string> labels;
    std::string hostname;
    std::string stop_signal = "SIGTERM";
    int stop_timeout = 10;
    // HostConfig
    int64_t memory = 0;
    int64_t nano_cpus = 0;
    int64_t pids_limit = 0;
    RestartPolicy restart;
    bool privileged = false;
    bool read_only = false;
    bool auto_remove = false;
    std::vector<std::string> cap_add, cap_drop;
    std::string network = "none";   // none | host
    std::vector<std::string> binds;  // HOST:CTR[:ro]
    std::vector<std::string> tmpfs;  // CTR[:options]
    // Sections that one engine module each reads for itself; docs/formats.md gives
    // their shapes (close to the Compose file's long syntax, already normalised).
    nlohmann::json networking = nlohmann::json::object();  // engine/net: mode, endpoints, ports, dns, hosts
    nlohmann::json mounts = nlohmann::json::array();       // engine/volume: volumes, binds, tmpfs, secrets, configs
    nlohmann::json devices = nlohmann::json::object();     // engine/device: devices, requests, cgroup rules
    nlohmann::json health = nlohmann::json::object();      // engine/monitor: the healthcheck
    nlohmann::json process = nlohmann::json::object();     // tty, stdin, init, runtime, log options, sysctls, ulimits …

    std::vector<std::string> args() const;  // entrypoint + cmd
};

struct ContainerState {
    std::string status = "created";  // created, running, restarting, exited
    pid_t pid = 0;                   // the container's init, while running
    int exit_code = 0;
    bool oom_killed = false;
    std::string started_at = "0001-01-01T00:00:00Z";
    std::string finished_at = "0001-01-01T00:00:00Z";
    pid_t monitor_pid = 0;
    uint64_t monitor_start_time = 0;  // /proc/PID/stat field 22 of the monitor
    int restart_count = 0;
    std::string error;
    // The healthcheck's verdict: "" (none configured), "starting", "healthy", "unhealthy".
    std::string health_status;
    int health_failing_streak = 0;
    nlohmann::json health_log = nlohmann::json::array();  // the last results, docker's State.Health.Log shape
};

class ContainerStore {
public:
    static Result<ContainerStore> open(const std::filesystem::path& root);

    const store::StateRoot& root() const { return root_; }
    std::filesystem::path containers_dir() const { return root_.path() / "containers"; }
    std::filesystem::path dir(const std::string& id) const { return containers_dir() / id; }
    std::filesystem::path log_path(const std::string& id) const { return dir(id) / (id + "-json.log"); }
    // Where the built-in runtime keeps its own state of the containers.
    std::filesystem::path runtime_state_dir() const { return root_.run_dir() / "runtime"; }

    // Takes the root lock, refuses a name in use (exit status 125 as docker run),
    // writes the folder (a spare one when the pool has one) with its record; the
    // state file comes with the first start (until then read_state says "created").
    Result<void> create(const ContainerRecord& record) const;
    // By full id, unique id prefix or name ("/name" too). Unknown → "No such container: REF".
    Result<ContainerRecord> find(const std::string& ref) const;
    Result<ContainerRecord> read(const std::string& id) const;
    Result<std::vector<ContainerRecord>> list() const;  // newest first

    Result<ContainerState> read_state(const std::string& id) const;
    Result<void> write_state(const std::string& id, const ContainerState& state) const;
    // The recorded state, with a monitor that vanished (crash, reboot) shown as exited.
    ContainerState observed_state(const std::string& id) const;
    // Takes the folder out of the store and removes all it holds, or keeps it
    // emptied as a spare (spare.h). The caller made sure nothing runs.
    Result<void> remove_files(const std::string& id) const;

private:
    explicit ContainerStore(store::StateRoot root) : root_(std::move(root)) {}
    store::StateRoot root_;
};

// Whether the monitor recorded in `state` is still alive.
bool monitor_alive(const ContainerState& state);

std::string record_to_json(const ContainerRecord& record);
Result<ContainerRecord> record_from_json(const std::string& text);
std::string state_to_json(const ContainerState& state);
Result<ContainerState> state_from_json(const std::string& text);

}  // namespace hako::container
