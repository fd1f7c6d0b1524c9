// This file implements the container verbs on top of the store and the monitor:
// create (image defaults + flags → record), start (spawn the monitor), stop, kill,
// remove and wait, as the CLI and later the compose engine call them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/container/options.h"
#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::container {

struct CreateRequest {
    std::string name;  // empty: a random adjective_noun
    std::string image;
    std::optional<std::string> entrypoint;  // --entrypoint ("" clears the image's)
    std::vector<std::string> args;          // CMD… after the image
    std::vector<std::string> env;           // KEY=VALUE, after the image's Env
    std::string working_dir, user, hostname;
    std::map<std::string, std::string> labels;
    int64_t memory = 0, nano_cpus = 0, pids_limit = 0;
    RestartPolicy restart;
    bool privileged = false, read_only = false, auto_remove = false;
    std::vector<std::string> cap_add, cap_drop;
    std::string network = "none";  // none | host
    std::vector<std::string> binds, tmpfs;
    std::optional<int> stop_timeout;
    std::string stop_signal;  // empty: the image's StopSignal, else SIGTERM (compose stop_signal)
    // The record's module sections (container_store.h), copied as given; each
    // module checks its own at create time (hooks.h).
    nlohmann::json networking = nlohmann::json::object();
    nlohmann::json mounts = nlohmann::json::array();
    nlohmann::json devices = nlohmann::json::object();
    nlohmann::json health = nlohmann::json::object();
    nlohmann::json process = nlohmann::json::object();
};

// Resolves the image, applies docker's Entrypoint/Cmd/Env/WorkingDir/User rules
// and writes the container's folder. Errors carry docker run's status 125.
Result<ContainerRecord> create_container(const ContainerStore& store, const CreateRequest& request);

// Spawns the monitor of a container that is not running and waits until it runs
// (or failed). With attach fds the monitor copies the first run's output to them;
// the returned fd then yields "exit CODE" when that run is over.
struct Started {
    pid_t pid = 0;
    sys::UniqueFd status;
    std::filesystem::path root;  // for an exit path that the monitor hands over
    std::string id;
};
Result<Started> start_container(const ContainerStore& store, const ContainerRecord& record, int attach_out = -1,
                                int attach_err = -1);
// The same with an attacher from the first byte on: `attach_socket` is one end of
// a SOCK_SEQPACKET socketpair (engine/monitor/attach.h speaks on the other);
// rows/cols size the container's terminal before it starts.
struct StartOptions {
    int attach_out = -1, attach_err = -1;
    int attach_socket = -1;
    unsigned short rows = 0, cols = 0;
    bool single = true;  // monitor::SpawnOptions::single_start
};
Result<Started> start_container(const ContainerStore& store, const ContainerRecord& record,
                                const StartOptions& options);
// Waits for the end of an attached start's run: the container's exit status. The
// monitor hands the exit path of a run without restart policy or held ports over
// to this caller ("ended", monitor.h), which then runs it here, before returning.
Result<int> wait_attached(Started& started);

// The stop signal, `grace_seconds` (the record's stop timeout when unset), then
// SIGKILL; returns once the monitor is gone.
Result<void> stop_container(const ContainerStore& store, const ContainerRecord& record,
                            std::optional<int> grace_seconds);
Result<void> kill_container(const ContainerStore& store, const ContainerRecord& record, int signal);
// Without force a running container is refused (status 1); with force it is killed first.
// With remove_volumes the container's anonymous volumes go too (docker rm -v).
Result<void> remove_container(const ContainerStore& store, const ContainerRecord& record, bool force,
                              bool remove_volumes = false);
// Runs a command in a running container (setns into its namespaces and cgroup,
// its user, capabilities and seccomp unless `user` says otherwise). Returns the
// command's exit status (126 not executable, 127 not found), or 0 at once with
// `detach`. With `tty` the command gets a terminal that is copied to and from
// in_fd/out_fd (in raw mode when in_fd is one); without `interactive` its stdin is /dev/null.
struct ExecRequest {
    std::vector<std::string> args, env;
    std::string user, working_dir;
    bool tty = false, interactive = false, detach = false;
};
Result<int> exec_container(const ContainerStore& store, const ContainerRecord& record, const ExecRequest& request,
                           int in_fd, int out_fd, int err_fd);

// Attaches in/out/err to a running container through its monitor (attach.h) until
// it ends (then its exit code) or the detach keys are typed (then nullopt).
struct AttachOptions {
    int in = -1, out = 1, err = 2;
    std::string detach_keys = "ctrl-p,ctrl-q";
};
Result<std::optional<int>> attach_container(const ContainerStore& store, const ContainerRecord& record,
                                            const AttachOptions& options);

// Blocks until the container is not running; its exit code.
Result<int> wait_container(const ContainerStore& store, const ContainerRecord& record);

bool is_running(const ContainerState& state);

}  // namespace hako::container
