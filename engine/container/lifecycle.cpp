// This file implements the container verbs (lifecycle.h).
#include "engine/container/lifecycle.h"

#include <signal.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

#include "engine/container/hooks.h"
#include "engine/image/image_store.h"
#include "engine/monitor/monitor.h"
#include "engine/runtime/linux_container.h"

namespace hako::container {

namespace {

constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void sleep_ms(int ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    ::nanosleep(&ts, nullptr);
}

Result<void> wait_monitor_gone(const ContainerStore& store, const std::string& id, int timeout_ms) {
    for (int waited = 0;; waited += 5) {
        auto state = store.read_state(id);
        if (!state.ok() || !monitor_alive(*state)) return ok();
        if (waited >= timeout_ms) return Error("timed out waiting for container " + id + " to stop");
        sleep_ms(5);
    }
}

}  // namespace

bool is_running(const ContainerState& state) { return state.status == "running" || state.status == "restarting"; }

Result<ContainerRecord> create_container(const ContainerStore& store, const CreateRequest& request) {
    auto as_run_error = [](Error e) {
        if (e.exit_code == ExitCode::Failure || e.exit_code == ExitCode::Ok) e.exit_code = kRunFailure;
        return e;
    };
    auto images = image::ImageStore::open(store.root().path());
    if (!images.ok()) return as_run_error(std::move(images).error());
    auto image = images->resolve(request.image);
    if (!image.ok()) return as_run_error(Error("Unable to find image '" + request.image + "' locally", kRunFailure));
    auto config = images->config(image->id);
    if (!config.ok()) return as_run_error(std::move(config).error());
    const auto& defaults = config->config;

    ContainerRecord r;
    r.id = generate_id();
    r.name = request.name.empty() ? random_name() : request.name;
    if (!valid_name(r.name))
        return Error("Invalid container name (" + r.name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", kRunFailure);
    r.created = image::now_rfc3339();
    r.image = request.image;
    r.image_id = image->id;
    auto command = choose_command(defaults.entrypoint, defaults.cmd, request.entrypoint, request.args);
    r.entrypoint = command.entrypoint;
    r.cmd = command.cmd;
    if (r.args().empty()) return Error("no command specified", kRunFailure);
    r.env = merge_env(defaults.env, request.env, {});
    bool has_path = false;
    for (const auto& e : r.env) has_path = has_path || e.rfind("PATH=", 0) == 0;
    if (!has_path) r.env.insert(r.env.begin(), kDefaultPath);
    r.working_dir = request.working_dir.empty() ? defaults.working_dir : request.working_dir;
    if (!r.working_dir.empty() && r.working_dir[0] != '/')
        return Error("the working directory '" + r.working_dir + "' is invalid, it needs to be an absolute path", kRunFailure);
    r.user = request.user.empty() ? defaults.user : request.user;
    r.labels = defaults.labels;
    for (const auto& [key, value] : request.labels) r.labels[key] = value;
    r.hostname = request.hostname.empty() ? r.id.substr(0, 12) : request.hostname;
    if (!defaults.stop_signal.empty()) {
        TRY(parse_signal(defaults.stop_signal));
        r.stop_signal = defaults.stop_signal;
    }
    if (!request.stop_signal.empty()) {
        TRY(parse_signal(request.stop_signal));
        r.stop_signal = request.stop_signal;
    }
    if (request.stop_timeout) r.stop_timeout = *request.stop_timeout;
    r.memory = request.memory;
    if (r.memory != 0 && r.memory < 6 * 1024 * 1024)
        return Error("Minimum memory limit allowed is 6MB", kRunFailure);
    r.nano_cpus = request.nano_cpus;
    r.pids_limit = request.pids_limit;
    r.restart = request.restart;
    if (request.auto_remove && r.restart.mode != RestartMode::No)
        return Error("Conflicting options: --restart and --rm", kRunFailure);
    r.privileged = request.privileged;
    r.read_only = request.read_only;
    r.auto_remove = request.auto_remove;
    r.cap_add = request.cap_add;
    r.cap_drop = request.cap_drop;
    r.network = request.network;
    r.binds = request.binds;
    r.tmpfs = request.tmpfs;
    r.networking = request.networking;
    r.mounts = request.mounts;
    r.devices = request.devices;
    r.health = request.health;
    r.process = request.process;
    TRY(check_create(store, r));
    TRY(store.create(r));
    return r;
}

Result<Started> start_container(const ContainerStore& store, const ContainerRecord& record, int attach_out,
                                int attach_err) {
    auto state = TRY(store.read_state(record.id));
    if (monitor_alive(state)) return Error("container " + record.name + " is already running");
    monitor::SpawnOptions options{store.root().path(), record.id, attach_out, attach_err};
    auto spawned = TRY(monitor::spawn(options));
    std::string line = monitor::read_status_line(spawned.status.get());
    if (line.rfind("started ", 0) == 0) {
        Started started;
        started.pid = static_cast<pid_t>(std::atoi(line.c_str() + 8));
        started.status = std::move(spawned.status);
        return started;
    }
    if (line.rfind("error ", 0) == 0) {
        int code = std::atoi(line.c_str() + 6);
        size_t space = line.find(' ', 6);
        return Error(space == std::string::npos ? line : line.substr(space + 1), static_cast<ExitCode>(code ? code : 125));
    }
    return Error("the monitor of container " + record.name + " ended without starting it", kRunFailure);
}

Result<int> wait_attached(Started& started) {
    std::string line = monitor::read_status_line(started.status.get());
    if (line.rfind("exit ", 0) != 0) return Error("lost the container's monitor", kRunFailure);
    return std::atoi(line.c_str() + 5);
}

Result<void> stop_container(const ContainerStore& store, const ContainerRecord& record,
                            std::optional<int> grace_seconds) {
    auto state = TRY(store.read_state(record.id));
    if (!monitor_alive(state)) return ok();
    int grace = grace_seconds.value_or(record.stop_timeout);
    if (grace < 0) grace = record.stop_timeout;
    TRY(monitor::request_stop(state.monitor_pid, grace));
    return wait_monitor_gone(store, record.id, grace * 1000 + 10000);
}

Result<void> kill_container(const ContainerStore& store, const ContainerRecord& record, int signal) {
    auto state = TRY(store.read_state(record.id));
    if (!monitor_alive(state) || state.pid <= 0)
        return Error("Cannot kill container: " + record.name + ": container " + record.id + " is not running");
    auto container = TRY(runtime::load(store.runtime_state_dir(), record.id));
    return runtime::kill(container, signal);
}

Result<void> remove_container(const ContainerStore& store, const ContainerRecord& record, bool force,
                              bool remove_volumes) {
    auto state = store.observed_state(record.id);
    if (is_running(state)) {
        if (!force)
            return Error("cannot remove container \"/" + record.name +
                         "\": container is running: stop the container before removing or force remove");
        TRY(stop_container(store, record, 0));
    }
    // What a monitor that died may have left: the runtime's state and cgroup, the mount.
    if (auto stale = runtime::load(store.runtime_state_dir(), record.id); stale.ok()) (void)runtime::destroy(*stale);
    ::umount2((store.dir(record.id) / "rootfs").c_str(), MNT_DETACH);
    RunContext context{store, record, store.dir(record.id)};
    net::detach(context);  // a monitor killed with -9 never did
    volume::release(context);
    TRY(on_remove(context, remove_volumes));
    return store.remove_files(record.id);
}

Result<int> wait_container(const ContainerStore& store, const ContainerRecord& record) {
    for (;;) {
        auto state = store.read_state(record.id);
        if (!state.ok()) return Error("No such container: " + record.name);
        if (!monitor_alive(*state) && state->status != "created") return store.observed_state(record.id).exit_code;
        if (state->status == "created" && !state->error.empty()) return state->exit_code;
        if (state->status == "created" && !monitor_alive(*state)) {
            sleep_ms(20);  // docker waits for a created container to run and stop
            continue;
        }
        sleep_ms(10);
    }
}

}  // namespace hako::container
