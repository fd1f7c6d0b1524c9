// This file implements the container verbs (lifecycle.h).
#include "engine/container/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "engine/container/hooks.h"
#include "engine/image/image_store.h"
#include "engine/monitor/attach.h"
#include "engine/monitor/health.h"
#include "engine/monitor/monitor.h"
#include "engine/monitor/process_config.h"
#include "engine/runtime/linux_container.h"
#include "engine/runtime/user.h"
#include "engine/sys/clock.h"

namespace hako::container {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void sleep_ms(int ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    ::nanosleep(&ts, nullptr);
}

int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Blocks until the monitor of `state` exits or `timeout_ms` passes (-1: no limit).
// A pidfd wakes us the moment it exits, where polling the state file every few
// milliseconds added half a period to every stop; without pidfds (kernels before
// 5.3) it sleeps 5 ms and the caller looks again.
void wait_monitor_exit(const ContainerState& state, int64_t timeout_ms) {
    sys::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, state.monitor_pid, 0)));
    if (!pidfd) {
        sleep_ms(timeout_ms < 0 ? 5 : static_cast<int>(std::min<int64_t>(5, timeout_ms)));
        return;
    }
    // The pid may have been reused between reading the state and opening the pidfd.
    if (!monitor_alive(state)) return;
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    for (;;) {
        int wait = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));
        pollfd exited{pidfd.get(), POLLIN, 0};
        int ready = ::poll(&exited, 1, wait);
        if (ready >= 0 || errno != EINTR) return;
    }
}

Result<void> wait_monitor_gone(const ContainerStore& store, const std::string& id, int timeout_ms) {
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        auto state = store.read_state(id);
        if (!state.ok() || !monitor_alive(*state)) return ok();
        int64_t left = deadline - now_ms();
        if (left <= 0) return Error("timed out waiting for container " + id + " to stop");
        wait_monitor_exit(*state, left);
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
    r.created = sys::now_rfc3339();
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
    TRY(monitor::check_health_section(r.health));
    TRY(monitor::check_process_section(r.process));
    TRY(check_create(store, r));
    TRY(store.create(r));
    return r;
}

Result<Started> start_container(const ContainerStore& store, const ContainerRecord& record, int attach_out,
                                int attach_err) {
    StartOptions options;
    options.attach_out = attach_out;
    options.attach_err = attach_err;
    return start_container(store, record, options);
}

Result<Started> start_container(const ContainerStore& store, const ContainerRecord& record,
                                const StartOptions& start) {
    auto state = TRY(store.read_state(record.id));
    if (monitor_alive(state)) return Error("container " + record.name + " is already running");
    monitor::SpawnOptions options{store.root().path(), record.id, start.attach_out, start.attach_err,
                                  start.attach_socket, start.rows, start.cols};
    // An attached caller waits for the exit (wait_attached); a detached one never reads it.
    options.exit_by_caller = start.attach_out >= 0 || start.attach_err >= 0 || start.attach_socket >= 0;
    options.single_start = start.single;
    options.record = &record;
    auto spawned = TRY(monitor::spawn(options));
    std::string line = monitor::read_status_line(spawned.status.get());
    if (line.rfind("started ", 0) == 0) {
        Started started;
        started.pid = static_cast<pid_t>(std::atoi(line.c_str() + 8));
        started.status = std::move(spawned.status);
        started.root = store.root().path();
        started.id = record.id;
        return started;
    }
    if (line.rfind("error ", 0) == 0) {
        int code = std::atoi(line.c_str() + 6);
        size_t space = line.find(' ', 6);
        return Error(space == std::string::npos ? line : line.substr(space + 1), static_cast<ExitCode>(code ? code : 125));
    }
    return Error("the monitor of container " + record.name + " ended without starting it", kRunFailure);
}

namespace {

// One line to the monitor on the status socket (SOCK_SEQPACKET: one message).
void answer_monitor(int fd, const std::string& line) {
    std::string text = line + "\n";
    while (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

}  // namespace

Result<int> wait_attached(Started& started) {
    std::string line = monitor::read_status_line(started.status.get());
    if (line.rfind("ended ", 0) == 0) {
        monitor::ExitReport report;
        report.root = started.root;
        report.id = started.id;
        int stopped = 0;
        if (std::sscanf(line.c_str() + 6, "%d %d", &report.wait_status, &stopped) == 2) {
            report.stop_requested = stopped != 0;
            auto done = monitor::exit_in_caller(report);
            if (done.ok()) {
                answer_monitor(started.status.get(), "done " + done->retired.string());
                return done->exit_code;
            }
        }
        // Not here: hako-monitor runs the exit path as usual and reports "exit CODE".
        answer_monitor(started.status.get(), "fallback");
        line = monitor::read_status_line(started.status.get());
    }
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
    // By the init's pid, whichever runtime (built-in or external) created it.
    auto spec = TRY(runtime::load_bundle_spec(store.dir(record.id)));
    auto container = TRY(runtime::adopt(record.id, state.pid, spec, spec.linux_spec.cgroups_path));
    TRY(runtime::kill(container, signal));
    if (signal != SIGKILL) return ok();
    // As docker's kill does for SIGKILL: return once the container is seen stopped
    // (or restarted by its policy), so that a `ps` right after shows it so.
    int64_t deadline = now_ms() + 10000;
    for (;;) {
        auto now = store.read_state(record.id);
        if (!now.ok() || !monitor_alive(*now) || now->pid != state.pid || now->status != "running") return ok();
        if (now_ms() > deadline) return Error("container " + record.name + " did not stop after SIGKILL");
        sleep_ms(2);
    }
}

namespace {

// Copies in_fd to the exec's terminal and the terminal to out_fd until the command ends.
void proxy_terminal(int terminal, int in_fd, int out_fd, pid_t pid, int& wait_status) {
    bool input = in_fd >= 0;
    bool child_done = false;
    for (;;) {
        pollfd fds[2] = {{terminal, POLLIN, 0}, {input ? in_fd : -1, POLLIN, 0}};
        int ready = ::poll(fds, 2, child_done ? 0 : 100);
        if (ready < 0 && errno != EINTR) break;
        if (ready > 0 && fds[0].revents) {
            char buffer[16384];
            ssize_t n = ::read(terminal, buffer, sizeof buffer);
            if (n <= 0 && errno != EINTR && errno != EAGAIN) break;  // EIO: every slave closed
            for (ssize_t at = 0; n > 0 && at < n;) {
                ssize_t w = ::write(out_fd, buffer + at, static_cast<size_t>(n - at));
                if (w <= 0) break;
                at += w;
            }
        }
        if (ready > 0 && input && fds[1].revents) {
            char buffer[4096];
            ssize_t n = ::read(in_fd, buffer, sizeof buffer);
            if (n <= 0) {
                input = false;
            } else {
                ssize_t w = ::write(terminal, buffer, static_cast<size_t>(n));
                (void)w;
            }
        }
        if (!child_done && ::waitpid(pid, &wait_status, WNOHANG) == pid) child_done = true;
        if (child_done && ready == 0) break;
    }
    if (!child_done) {
        while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
    }
}

}  // namespace

Result<int> exec_container(const ContainerStore& store, const ContainerRecord& record, const ExecRequest& request,
                           int in_fd, int out_fd, int err_fd) {
    if (request.args.empty()) return Error::usage("exec requires at least 2 arguments");
    auto state = TRY(store.read_state(record.id));
    if (!monitor_alive(state) || state.status != "running" || state.pid <= 0)
        return Error("container " + record.id + " is not running");
    fs::path dir = store.dir(record.id);
    auto spec = TRY(runtime::load_bundle_spec(dir));
    auto container = TRY(runtime::adopt(record.id, state.pid, spec, spec.linux_spec.cgroups_path));
    // Where the runtime keeps this root's state (and its compiled seccomp programs).
    container.dir = store.runtime_state_dir() / record.id;
    runtime::Process process = spec.process;
    process.args = request.args;
    process.terminal = request.tty;
    for (const auto& entry : request.env) {
        std::string key = entry.substr(0, entry.find('='));
        std::erase_if(process.env, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
        process.env.push_back(entry);
    }
    if (request.tty && std::none_of(process.env.begin(), process.env.end(),
                                    [](const std::string& e) { return e.starts_with("TERM="); }))
        process.env.push_back("TERM=xterm");
    if (!request.working_dir.empty()) {
        if (request.working_dir[0] != '/')
            return Error("the working directory '" + request.working_dir + "' is invalid, it needs to be an absolute path");
        process.cwd = request.working_dir;
    }
    if (!request.user.empty()) {
        auto user = TRY(runtime::resolve_user_in_rootfs(dir / "rootfs", request.user));
        process.user.uid = user.uid;
        process.user.gid = user.gid;
        process.user.additional_gids = user.additional_gids;
        if (user.uid != 0) {  // as the init: a non-root user keeps the bounding set only
            process.capabilities.effective.clear();
            process.capabilities.permitted.clear();
            process.capabilities.ambient.clear();
            process.capabilities.inheritable.clear();
        } else {
            process.capabilities.effective = process.capabilities.bounding;
            process.capabilities.permitted = process.capabilities.bounding;
        }
    }
    sys::UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    runtime::Stdio stdio{request.interactive && !request.detach ? in_fd : null_fd.get(),
                         request.detach ? null_fd.get() : out_fd, request.detach ? null_fd.get() : err_fd};
    auto started = runtime::exec(container, process, stdio);
    if (!started.ok()) {
        Error e = std::move(started).error();
        e.message = "OCI runtime exec failed: " + e.message;
        e.exit_code = static_cast<ExitCode>(126);
        return e;
    }
    if (request.detach) return 0;
    int wait_status = 0;
    if (request.tty && started->pty_master) {
        if (auto [rows, cols] = monitor::terminal_size(request.interactive ? in_fd : out_fd); rows > 0) {
            winsize size{rows, cols, 0, 0};
            ::ioctl(started->pty_master.get(), TIOCSWINSZ, &size);
        }
        monitor::RawTerminal raw(request.interactive ? in_fd : -1);
        proxy_terminal(started->pty_master.get(), request.interactive ? in_fd : -1, out_fd, started->pid, wait_status);
    } else {
        while (::waitpid(started->pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
    }
    return runtime::exit_status_of(wait_status);
}

Result<std::optional<int>> attach_container(const ContainerStore& store, const ContainerRecord& record,
                                            const AttachOptions& options) {
    auto state = TRY(store.read_state(record.id));
    if (!monitor_alive(state) || state.status != "running")
        return Error("You cannot attach to a stopped container, start it first");
    auto socket = TRY(monitor::connect_attach(store.dir(record.id)));
    monitor::AttachStreams streams;
    bool tty = record.process.is_object() && record.process.value("tty", false);
    bool stdin_open = record.process.is_object() && record.process.value("stdin_open", false);
    streams.in = (tty || stdin_open) ? options.in : -1;
    streams.out = options.out;
    streams.err = options.err;
    streams.tty = tty;
    streams.detach_keys = options.detach_keys;
    auto end = TRY(monitor::attach_session(socket.get(), streams));
    if (end == monitor::AttachEnd::Detached) return std::optional<int>{};
    return std::optional<int>{TRY(wait_container(store, record))};
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
    if (auto stale = runtime::load_for_teardown(store.runtime_state_dir(), record.id); stale.ok())
        (void)runtime::destroy(*stale);
    ::umount2((store.dir(record.id) / "rootfs").c_str(), MNT_DETACH);
    RunContext context{store, record, store.dir(record.id)};
    net::detach_after_exit(context);  // a monitor killed with -9 never did
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
        wait_monitor_exit(*state, -1);
    }
}

}  // namespace hako::container
