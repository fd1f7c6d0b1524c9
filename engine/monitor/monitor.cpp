// This file implements the set-up and the exit path of the per-container monitor
// (monitor.h); the steady state between them is hako-monitor (hako_monitor.c).
#include "engine/monitor/monitor.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/container/hooks.h"
#include "engine/container/init_layer.h"
#include "engine/container/retire.h"
#include "engine/container/spare.h"
#include "engine/image/image_store.h"
#include "engine/monitor/attach.h"
#include "engine/monitor/external_runtime.h"
#include "engine/monitor/health.h"
#include "engine/monitor/process_config.h"
#include "engine/net/ports.h"
#include "engine/runtime/linux_container.h"
#include "engine/runtime/process_setup.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/affinity.h"
#include "engine/sys/file.h"
#include "engine/sys/helper_process.h"
#include "engine/sys/clock.h"

namespace hako::monitor {

namespace fs = std::filesystem;
using container::ContainerRecord;
using container::ContainerState;
using container::ContainerStore;

namespace {

// Stop requests that come while the signals are not yet blocked (the first
// moments after the fork) are kept here; afterwards they wait on the signalfd.
volatile sig_atomic_t g_stop_pending = 0;

void on_signal(int signal, siginfo_t*, void*) {
    if (signal == SIGUSR1 || signal == SIGTERM || signal == SIGINT || signal == SIGHUP) g_stop_pending = 1;
}

int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void write_all(int& fd, const char* data, size_t size) {
    while (fd >= 0 && size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // the attached reader went away: stop writing to it
            ::close(fd);
            fd = -1;
            return;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

// One message on the status socket (read_status_line takes one per read).
void status_line(int& fd, const std::string& line) {
    std::string text = line.substr(0, kStatusLineMax - 1) + "\n";
    write_all(fd, text.data(), text.size());
}

// The host paths of this hako (run again for probes and the exit path) and of
// hako-monitor beside it; never reached through the container's filesystem.
struct Binaries {
    std::string hako, monitor;
};

Result<Binaries> find_binaries() {
    // Once per process: a container's set-up runs in its caller's memory, and an
    // attached caller runs the exit path too.
    static const Result<Binaries> found = []() -> Result<Binaries> {
        fs::path self = TRY(sys::self_binary());
        fs::path monitor = TRY(sys::binary_beside(self, "hako-monitor"));
        return Binaries{self.string(), monitor.string()};
    }();
    return found;
}

// The container of one run: hako's runtime, or an external one's init adopted.
struct Running {
    runtime::Container container;
    bool external = false;
};

class Monitor {
public:
    Monitor(const SpawnOptions& options, int status_fd) : options_(options), status_fd_(status_fd) {}
    [[noreturn]] void run();
    [[noreturn]] void after_exit(const ExitReport& report);
    Result<CallerExit> exit_in_caller(const ExitReport& report);

private:
    Result<void> prepare();
    Result<void> take_setup_lock();
    Result<void> load_health();
    void block_signals();
    Result<void> listen_attach();
    Result<void> mount_rootfs();
    Result<runtime::Spec> build_spec();
    Result<void> write_config(const runtime::Spec& spec) {
        return sys::write_file_atomic(dir_ / "config.json", runtime::to_json(spec, -1), 0600, sys::Durability::Volatile);
    }
    Result<Running> launch(const runtime::Spec& spec);
    [[noreturn]] void start_run(const runtime::Spec& spec);
    [[noreturn]] void exec_monitor(Running& running);
    Running ended_run() const;
    void end_run(Running& running, int wait_status);
    bool wait_backoff();
    void write_state();
    [[noreturn]] void fail(int code, const std::string& message);
    [[noreturn]] void finish();
    fs::path finish_run();
    fs::path retire_auto_removed();

    SpawnOptions options_;
    int status_fd_;
    bool exit_sent_ = false;
    bool exit_path_ = false;  // after_exit: the set-up lock is not taken again
    sys::UniqueFd setup_lock_;
    std::optional<ContainerStore> store_;
    ContainerRecord record_;
    ContainerState state_;
    fs::path dir_;
    Binaries binaries_;
    bool mounted_ = false;
    bool config_deferred_ = false;  // config.json is written once the init runs (build_spec)
    sys::UniqueFd signal_fd_;
    bool stop_requested_ = false;
    int stop_signal_ = SIGTERM;
    // Process options of the record.
    bool tty_ = false, stdin_open_ = false;
    std::string external_runtime_;
    // What hako-monitor takes on: the container's output, its stdin (a pipe's
    // write end) or its terminal's master side, and attach.sock.
    sys::UniqueFd out_read_, err_read_;
    sys::UniqueFd input_;
    sys::UniqueFd pty_master_;
    sys::UniqueFd listen_fd_;
    std::optional<HealthConfig> health_;
    int64_t run_started_ms_ = 0;
};

void Monitor::write_state() { (void)store_->write_state(record_.id, state_); }

[[noreturn]] void Monitor::fail(int code, const std::string& message) {
    if (store_) {
        state_.status = state_.restart_count > 0 ? "exited" : "created";
        state_.exit_code = code;
        state_.error = message;
        state_.pid = 0;
        write_state();
    }
    if (store_) volume::release(container::RunContext{*store_, record_, dir_});
    if (mounted_) ::umount2((dir_ / "rootfs").c_str(), MNT_DETACH);
    if (!dir_.empty()) ::unlink((dir_ / kAttachSocketName).c_str());
    fs::path retired;
    if (store_ && record_.auto_remove) retired = retire_auto_removed();
    if (!exit_sent_) status_line(status_fd_, "error " + std::to_string(code) + " " + message);
    if (!retired.empty()) (void)container::dispose_retired(store_->root(), retired);
    _exit(1);
}

// What both the set-up and the exit path read: the record, its state and process options.
Result<void> Monitor::prepare() {
    store_ = TRY(ContainerStore::open(options_.root));
    record_ = options_.record && options_.record->id == options_.id ? *options_.record : TRY(store_->read(options_.id));
    dir_ = store_->dir(record_.id);
    if (!exit_path_) TRY(take_setup_lock());
    state_ = TRY(store_->read_state(options_.id));
    auto stop_signal = container::parse_signal(record_.stop_signal);
    stop_signal_ = stop_signal.ok() ? *stop_signal : SIGTERM;
    if (record_.process.is_object()) {
        tty_ = record_.process.value("tty", false);
        stdin_open_ = record_.process.value("stdin_open", false);
    }
    external_runtime_ = external_runtime(record_.process);
    binaries_ = TRY(find_binaries());
    return ok();
}

// One set-up at a time per container: a monitor spawned while another sets the
// container up (an up killed with -9 leaves its monitors going; the next up starts
// the same containers) waits here, and then finds it running. The lock goes with
// this process (its fd is close-on-exec), once the state says running or failed.
// The lock is on the container's folder itself: no file to create (an inode costs
// here) and none left behind.
Result<void> Monitor::take_setup_lock() {
    setup_lock_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!setup_lock_) return Error::from_syscall("open", errno, dir_.string());
    while (::flock(setup_lock_.get(), LOCK_EX) != 0)
        if (errno != EINTR) return Error::from_syscall("flock", errno, dir_.string());
    return ok();
}

Result<void> Monitor::load_health() {
    std::optional<image::Healthcheck> image_health;
    auto images = TRY(image::ImageStore::open(options_.root));
    if (auto config = images.config(record_.image_id); config.ok()) image_health = config->config.healthcheck;
    health_ = TRY(health_config(record_.health, image_health));
    return ok();
}

// The signals a monitor acts on wait, blocked, on a signalfd, from the set-up
// through hako-monitor to the exit path (a blocked signal stays pending across execve).
void Monitor::block_signals() {
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
    struct sigaction action {};
    action.sa_sigaction = on_signal;
    action.sa_flags = SA_SIGINFO;
    // Handlers, not SIG_IGN: a handler is reset by execve, an ignored signal would reach the container ignored.
    for (int s : {SIGUSR1, SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaction(s, &action, nullptr);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd_) fail(125, std::string("signalfd: ") + std::strerror(errno));
}

Result<void> Monitor::listen_attach() {
    listen_fd_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listen_fd_) return Error::from_syscall("socket", errno, "attach");
    sys::UniqueFd dir(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error::from_syscall("open", errno, dir_.string());
    std::string path = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + kAttachSocketName;
    ::unlink(path.c_str());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return Error::from_syscall("bind", errno, (dir_ / kAttachSocketName).string());
    ::chmod(path.c_str(), 0600);
    if (::listen(listen_fd_.get(), 16) != 0) return Error::from_syscall("listen", errno, "attach");
    return ok();
}

Result<void> Monitor::mount_rootfs() {
    auto images = TRY(image::ImageStore::open(options_.root));
    auto layers = TRY(images.layer_dirs(record_.image_id));  // the image's record only, not the tags
    TRY(container::ensure_init_layer(store_->root()));
    // Relative to ROOT, as docker's overlay2 does, so a deep stack fits one page;
    // the init layer on top (the leftmost).
    std::string lower = container::kInitLayerName;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) lower += ":l/" + it->filename().string();
    std::string rel = "containers/" + record_.id;
    std::string data = "lowerdir=" + lower + ",upperdir=" + rel + "/upper,workdir=" + rel + "/work";
    // A --rm container's upper layer is thrown away: "volatile" spares the sync of
    // the whole host filesystem that unmounting an overlay otherwise does (~10 ms).
    if (record_.auto_remove) data += ",volatile";
    if (::chdir(options_.root.c_str()) != 0) return Error::from_syscall("chdir", errno, options_.root.string());
    fs::path target = dir_ / "rootfs";
    ::umount2(target.c_str(), MNT_DETACH);  // left over by a monitor that died
    int mounted = ::mount("overlay", target.c_str(), "overlay", 0, data.c_str());
    if (mounted != 0 && errno == EINVAL && record_.auto_remove) {  // a kernel before 5.10
        data.resize(data.size() - std::string_view(",volatile").size());
        mounted = ::mount("overlay", target.c_str(), "overlay", 0, data.c_str());
    }
    if (mounted != 0) return Error::from_syscall("mount overlay", errno, target.string());
    mounted_ = true;
    (void)::chdir("/");
    return ok();
}

Result<runtime::Spec> Monitor::build_spec() {
    runtime::ContainerConfig c;
    c.args = record_.args();
    c.env = record_.env;
    c.cwd = record_.working_dir.empty() ? "/" : record_.working_dir;
    c.user = record_.user;
    c.hostname = record_.hostname.empty() ? record_.id.substr(0, 12) : record_.hostname;
    c.read_only = record_.read_only;
    c.privileged = record_.privileged;
    c.cap_add = record_.cap_add;
    c.cap_drop = record_.cap_drop;
    if (record_.memory > 0) c.memory = record_.memory;
    if (record_.nano_cpus > 0) c.cpus = static_cast<double>(record_.nano_cpus) / 1e9;
    if (record_.pids_limit > 0) c.pids_limit = record_.pids_limit;
    c.rootfs = (dir_ / "rootfs").string();
    c.cgroups_path = "/hako/" + record_.id;
    TRY(apply_process_section(record_.process, c));
    container::RunContext context{*store_, record_, dir_};
    TRY(net::prepare(context, c));
    TRY(volume::prepare(context, c));
    auto spec = TRY(runtime::build_spec(c, dir_ / "rootfs"));
    TRY(device::apply(context, spec));
    // Rebuilt at every start: not synced, and compact (read by programs only). An
    // external runtime and OCI hooks read it before the init runs; otherwise nothing
    // does before "started", and it is written while the container's process starts
    // (start_run), off the way to it (~0.4 ms here: the JSON and a new inode).
    config_deferred_ = external_runtime_.empty() && spec.hooks.empty();
    if (!config_deferred_) TRY(write_config(spec));
    return spec;
}

Result<Running> Monitor::launch(const runtime::Spec& spec) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "stdout");
    sys::UniqueFd out_r(out[0]), out_w(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "stderr");
    sys::UniqueFd err_r(err[0]), err_w(err[1]);
    sys::UniqueFd in_r, in_w;
    if (stdin_open_ && !tty_) {
        int in[2];
        if (::pipe2(in, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "stdin");
        in_r.reset(in[0]);
        in_w.reset(in[1]);
    } else {
        in_r.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    runtime::Stdio stdio{in_r.get(), out_w.get(), err_w.get()};
    std::string cgroup_path = "/hako/" + record_.id;
    container::RunContext context{*store_, record_, dir_};
    Running running;
    if (external_runtime_.empty()) {
        runtime::CreateOptions create;
        create.id = record_.id;
        create.state_root = store_->runtime_state_dir();
        create.stdio = stdio;
        create.cgroup_path = cgroup_path;
        // kill -9 of this monitor takes its container with it: nothing else would
        // reap it, record its exit or stop it, and ps would say Exited.
        create.die_with_creator = true;
        // runtime::create resets the signal mask in the container's init itself.
        auto created = runtime::create(spec, dir_, create);
        if (!created.ok()) {
            // A runtime state left by a monitor that died: clear it and try once more.
            auto stale = runtime::load_for_teardown(store_->runtime_state_dir(), record_.id);
            if (!stale.ok()) return std::move(created).error();
            (void)runtime::destroy(*stale);
            created = runtime::create(spec, dir_, create);
            if (!created.ok()) return std::move(created).error();
        }
        running.container = std::move(*created);
        if (tty_) {
            pty_master_ = std::move(running.container.pty_master);
            if (options_.rows > 0 && options_.cols > 0) {
                winsize size{options_.rows, options_.cols, 0, 0};
                ::ioctl(pty_master_.get(), TIOCSWINSZ, &size);
            }
        }
    } else {
        ExternalRuntime rt{external_runtime_, store_->root().run_dir() / "oci-runtime"};
        sys::restore_affinity();  // the external runtime's processes are the container's (sys/affinity.h)
        external_delete(rt, record_.id);  // left by a monitor that died
        pid_t pid = TRY(external_create(rt, record_.id, dir_, stdio));
        auto adopted = runtime::adopt(record_.id, pid, spec, cgroup_path);
        if (!adopted.ok()) {
            external_delete(rt, record_.id);
            return std::move(adopted).error();
        }
        running.container = std::move(*adopted);
        running.external = true;
    }
    auto undo = [&](Error error) -> Error {
        net::detach(context);
        if (running.external) external_delete({external_runtime_, store_->root().run_dir() / "oci-runtime"}, record_.id);
        else (void)runtime::destroy(running.container);
        pty_master_.reset();
        return error;
    };
    if (auto attached = net::attach(context, running.container.pid()); !attached.ok())
        return undo(std::move(attached).error());
    Result<void> started = running.external
                               ? external_start({external_runtime_, store_->root().run_dir() / "oci-runtime"}, record_.id)
                               : runtime::start(running.container);
    if (!started.ok()) return undo(std::move(started).error());
    if (tty_) {
        ::fcntl(pty_master_.get(), F_SETFL, O_NONBLOCK);
        out_read_.reset(::fcntl(pty_master_.get(), F_DUPFD_CLOEXEC, 3));
        input_.reset(::fcntl(pty_master_.get(), F_DUPFD_CLOEXEC, 3));
        err_read_.reset();
    } else {
        out_read_ = std::move(out_r);
        err_read_ = std::move(err_r);
        input_ = std::move(in_w);
    }
    return running;
}

void Monitor::run() {
    if (auto prepared = prepare(); !prepared.ok()) fail(125, prepared.error().message);
    if (container::monitor_alive(state_) && (state_.status == "running" || state_.status == "restarting")) {
        // Another monitor set it up while this one waited for the lock: it runs.
        status_line(status_fd_, "started " + std::to_string(state_.pid));
        _exit(0);
    }
    state_.monitor_pid = getpid();
    state_.monitor_start_time = runtime::process_start_time(getpid());
    state_.restart_count = 0;
    state_.error.clear();
    if (auto checked = check_process_section(record_.process); !checked.ok()) fail(125, checked.error().message);
    if (!external_runtime_.empty() && tty_)
        fail(125, "a terminal (-t) is not supported with the external runtime " + external_runtime_);
    if (auto loaded = load_health(); !loaded.ok()) fail(125, loaded.error().message);
    block_signals();
    // An external runtime's init is orphaned when `RUNTIME create` exits: it becomes
    // ours (the flag survives execve, so hako-monitor reaps it).
    if (!external_runtime_.empty()) ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (auto listening = listen_attach(); !listening.ok()) fail(125, listening.error().message);
    if (auto mounted = mount_rootfs(); !mounted.ok()) fail(125, mounted.error().message);
    auto spec = build_spec();
    if (!spec.ok()) fail(125, spec.error().message);
    start_run(*spec);
}

[[noreturn]] void Monitor::start_run(const runtime::Spec& spec) {
    auto running = launch(spec);
    if (!running.ok()) fail(125, running.error().message);
    if (config_deferred_) {
        // The init's PR_SET_PDEATHSIG takes it with this monitor if this fails.
        if (auto written = write_config(spec); !written.ok()) fail(125, written.error().message);
        config_deferred_ = false;
    }
    run_started_ms_ = now_ms();
    state_.status = "running";
    state_.pid = running->container.pid();
    state_.started_at = sys::now_rfc3339();
    state_.oom_killed = false;
    if (health_) {
        state_.health_status = "starting";
        state_.health_failing_streak = 0;
    }
    write_state();
    if (!exit_sent_) status_line(status_fd_, "started " + std::to_string(running->container.pid()));
    exec_monitor(*running);
}

// Becomes hako-monitor: the fds it serves lose FD_CLOEXEC, nothing else of this
// process goes with it. The container's init stays this pid's child.
[[noreturn]] void Monitor::exec_monitor(Running& running) {
    std::vector<std::string> args{binaries_.monitor};
    auto pass = [&](const char* name, int fd) {
        if (fd < 0) return;
        ::fcntl(fd, F_SETFD, 0);  // FD_CLOEXEC is the only fd flag there is
        args.push_back(std::string("--") + name + "=" + std::to_string(fd));
    };
    auto option = [&](const char* name, const std::string& value) {
        args.push_back(std::string("--") + name + "=" + value);
    };
    option("hako", binaries_.hako);
    option("root", options_.root.string());
    option("id", record_.id);
    option("pid", std::to_string(running.container.pid()));
    pass("status-fd", status_fd_);
    pass("listen-fd", listen_fd_.get());
    pass("out-fd", out_read_.get());
    pass("err-fd", err_read_.get());
    pass("in-fd", input_.get());
    pass("pty-fd", pty_master_.get());
    // The published ports stay reserved while the container runs.
    for (int fd : net::held_port_sockets(record_.id)) pass("hold", fd);
    if (tty_) option("tty", "1");
    if (!exit_sent_) {  // the first run's attached CLI
        pass("attach-out", options_.attach_out);
        pass("attach-err", options_.attach_err);
        pass("attacher", options_.attach_socket);
        // It waits for the exit and may run the exit path itself (CallerExit):
        // never when a restart could follow, nor with ports held in this process.
        if (options_.exit_by_caller && record_.restart.mode == container::RestartMode::No &&
            net::held_port_sockets(record_.id).empty())
            option("exit-by-caller", "1");
    }
    LogLimits limits = log_limits(record_.process);
    option("log", store_->log_path(record_.id).string());
    option("log-max-size", std::to_string(limits.max_size));
    option("log-max-file", std::to_string(limits.max_file));
    option("stop-signal", std::to_string(stop_signal_));
    option("stop-timeout", std::to_string(record_.stop_timeout));
    option("started-ms", std::to_string(run_started_ms_));
    if (health_) {
        auto ms = [](int64_t ns) { return std::to_string(std::max<int64_t>(1, ns / 1000000)); };
        option("health", ms(health_->interval_ns) + "," + ms(health_->timeout_ns) + "," +
                             std::to_string(health_->start_period_ns / 1000000) + "," + ms(health_->start_interval_ns));
    }
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    sys::restore_affinity();  // the start was pinned to one CPU (sys/affinity.h); the steady monitor is not
    ::execv(argv[0], argv.data());
    std::string why = std::string("exec ") + binaries_.monitor + ": " + std::strerror(errno);
    ::kill(running.container.pid(), SIGKILL);
    int wait_status = 0;
    while (::waitpid(running.container.pid(), &wait_status, 0) < 0 && errno == EINTR) {
    }
    end_run(running, wait_status);
    fail(125, why);
}

// The container hako-monitor saw end, as far as its teardown needs it.
Running Monitor::ended_run() const {
    Running running;
    running.external = !external_runtime_.empty();
    if (!running.external) {
        if (auto loaded = runtime::load_for_teardown(store_->runtime_state_dir(), record_.id); loaded.ok()) {
            running.container = std::move(*loaded);
            return running;
        }
    }
    running.container.state.id = record_.id;
    running.container.state.pid = state_.pid;
    running.container.state.cgroup_path = "/hako/" + record_.id;
    if (auto cgroup = runtime::Cgroup::open(running.container.state.cgroup_path); cgroup.ok())
        running.container.cgroup = std::move(*cgroup);
    return running;
}

void Monitor::end_run(Running& running, int wait_status) {
    state_.exit_code = runtime::exit_status_of(wait_status);
    auto oom = runtime::oom_killed(running.container);
    state_.oom_killed = oom.ok() && *oom;
    if (running.external) {
        external_delete({external_runtime_, store_->root().run_dir() / "oci-runtime"}, record_.id);
    } else {
        (void)runtime::destroy(running.container);
    }
    net::detach_after_exit(container::RunContext{*store_, record_, dir_});
    state_.pid = 0;
    state_.finished_at = sys::now_rfc3339();
    // A stopped container is not healthy: dependents must not count on it.
    if (!state_.health_status.empty()) state_.health_status = "unhealthy";
}

// Waits out the restart delay; false when a stop request came meanwhile.
bool Monitor::wait_backoff() {
    int64_t wake = now_ms() + container::restart_delay_ms(state_.restart_count);
    while (!stop_requested_) {
        if (g_stop_pending) stop_requested_ = true;
        int64_t left = wake - now_ms();
        if (left <= 0 || stop_requested_) break;
        pollfd fd{signal_fd_.get(), POLLIN, 0};
        if (::poll(&fd, 1, static_cast<int>(left)) <= 0) continue;
        signalfd_siginfo info{};
        while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
            if (info.ssi_signo == SIGCHLD) {
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {
                }
            } else {
                stop_requested_ = true;
            }
        }
    }
    return !stop_requested_;
}

void Monitor::after_exit(const ExitReport& report) {
    exit_sent_ = report.status_fd < 0;
    exit_path_ = true;
    listen_fd_.reset(report.listen_fd);
    stop_requested_ = report.stop_requested;
    mounted_ = true;
    if (auto prepared = prepare(); !prepared.ok()) fail(125, prepared.error().message);
    block_signals();
    net::PortReservation held;
    for (int fd : report.held_sockets) held.sockets.emplace_back(fd);
    net::hold_ports(record_.id, std::move(held));  // net::detach lets them go
    Running running = ended_run();
    end_run(running, report.wait_status);
    if (!container::should_restart(record_.restart, state_.exit_code, state_.restart_count, stop_requested_))
        finish();
    state_.status = "restarting";
    write_state();
    if (!exit_sent_) {
        status_line(status_fd_, "exit " + std::to_string(state_.exit_code));
        exit_sent_ = true;
        if (status_fd_ >= 0) ::close(status_fd_);
        status_fd_ = -1;
    }
    if (!wait_backoff()) finish();
    ++state_.restart_count;
    if (auto loaded = load_health(); !loaded.ok()) fail(125, loaded.error().message);
    // The spec of the first start, as it was written (the hooks prepared it then).
    auto spec = runtime::load_bundle_spec(dir_);
    if (!spec.ok()) fail(125, spec.error().message);
    start_run(*spec);
}

[[noreturn]] void Monitor::finish() {
    fs::path retired = finish_run();
    if (!exit_sent_) status_line(status_fd_, "exit " + std::to_string(state_.exit_code));
    if (!retired.empty()) (void)container::dispose_retired(store_->root(), retired);
    _exit(0);
}

// The end of a run that is not restarted: volumes, the rootfs, attach.sock, the
// state "exited"; a --rm container leaves the store (the retired folder it returns
// is removed once the exit is reported).
fs::path Monitor::finish_run() {
    volume::release(container::RunContext{*store_, record_, dir_});
    if (mounted_) ::umount2((dir_ / "rootfs").c_str(), MNT_DETACH);
    ::unlink((dir_ / kAttachSocketName).c_str());
    state_.status = "exited";
    state_.pid = 0;
    if (record_.auto_remove) return retire_auto_removed();
    write_state();
    return {};
}

// after_exit's work in the attached CLI that took the exit over (monitor.h): no
// signals to block, no ports held here (hako-monitor hands over only without
// them), no restart (only without a policy), and nothing that ends the process.
Result<CallerExit> Monitor::exit_in_caller(const ExitReport& report) {
    exit_sent_ = true;
    exit_path_ = true;
    stop_requested_ = report.stop_requested;
    mounted_ = true;
    TRY(prepare());
    if (record_.restart.mode != container::RestartMode::No)
        return Error("container " + record_.name + " has a restart policy: its monitor handles its exit");
    Running running = ended_run();
    end_run(running, report.wait_status);
    fs::path retired = finish_run();
    return CallerExit{state_.exit_code, retired};
}

// A --rm container leaves the store in one rename before its exit is reported, so
// the CLI returns without waiting for the slow part (an rmdir costs ~3 ms on this
// ext4, and the folder holds about nine); the caller removes the retired folder after.
fs::path Monitor::retire_auto_removed() {
    (void)container::on_remove(container::RunContext{*store_, record_, dir_}, true);
    auto retired = container::retire_files(*store_, record_.id);
    return retired.ok() ? *retired : fs::path{};
}

// Closes every fd above 2 but those in `keep` (-1 entries ignored): close_range
// over the gaps between them, a few calls instead of a listing of /proc/self/fd
// and a close for each (the listing stays for a kernel without close_range).
void close_other_fds(std::initializer_list<int> keep) {
    std::vector<int> kept;
    for (int fd : keep)
        if (fd > 2) kept.push_back(fd);
    std::sort(kept.begin(), kept.end());
    unsigned from = 3;
    for (int fd : kept) {
        if (static_cast<unsigned>(fd) > from &&
            ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0u) != 0 && errno == ENOSYS)
            break;
        from = std::max(from, static_cast<unsigned>(fd) + 1);
    }
    if (::syscall(SYS_close_range, from, ~0u, 0u) == 0 || errno != ENOSYS) return;
    std::vector<int> open_fds;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (dirent* entry = ::readdir(dir)) {
            int fd = std::atoi(entry->d_name);
            if (fd > 2 && fd != ::dirfd(dir)) open_fds.push_back(fd);
        }
        ::closedir(dir);
    }
    for (int fd : open_fds)
        if (std::find(kept.begin(), kept.end(), fd) == kept.end()) ::close(fd);
}

}  // namespace

[[noreturn]] void after_exit(const ExitReport& report) {
    SpawnOptions options;
    options.root = report.root;
    options.id = report.id;
    Monitor monitor(options, report.status_fd);
    monitor.after_exit(report);
}

Result<CallerExit> exit_in_caller(const ExitReport& report) {
    SpawnOptions options;
    options.root = report.root;
    options.id = report.id;
    Monitor monitor(options, -1);
    return monitor.exit_in_caller(report);
}

namespace {

// The set-up's body in the monitor process, whichever way it was made.
[[noreturn]] void become_monitor(const SpawnOptions& options, int status_fd) {
    SpawnOptions own = options;
    for (int* fd : {&own.attach_out, &own.attach_err})
        if (*fd >= 0) *fd = ::fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    int null_fd = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
    if (null_fd > 2) ::close(null_fd);
    // Nothing else of the CLI stays open here (a copy of a client's own socket
    // end would keep it from ever seeing the monitor go).
    close_other_fds({status_fd, own.attach_out, own.attach_err, own.attach_socket});
    Monitor monitor_body(own, status_fd);
    monitor_body.run();
}

// The number of threads of this process (/proc/self/stat's 20th field); 0 if unknown.
int thread_count() {
    char text[1024];
    sys::UniqueFd fd(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
    if (!fd) return 0;
    ssize_t n = ::read(fd.get(), text, sizeof text - 1);
    if (n <= 0) return 0;
    text[n] = '\0';
    const char* p = std::strrchr(text, ')');  // the command name may hold spaces
    for (int field = 2; p && field < 20; ++field) p = std::strchr(p + 1, ' ');
    return p ? std::atoi(p + 1) : 0;
}

// What the two CLONE_VM children of spawn_shared read from the caller's memory.
struct SharedSpawn {
    const SpawnOptions* options;
    int status_fd;
    sigset_t caller_mask;
    void* monitor_stack_top;
};

// The monitor (the grandchild): it runs in the caller's memory until its execve of
// hako-monitor (or its _exit), while the caller and the session child wait.
int shared_monitor_main(void* argument) {
    const auto& spawn = *static_cast<const SharedSpawn*>(argument);
    // Cloned by the caller itself (single_start): a session of its own here. It
    // leads it, so every terminal it opens is opened O_NOCTTY (the pty's two ends).
    if (spawn.options->single_start) ::setsid();
    // The caller's handlers would run here on the caller's memory: none from now on.
    // /proc/self/status names the caught signals (SigCgt): one read instead of a
    // sigaction query for each of the 64.
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    auto status = runtime::read_process_status();
    for (int s = 1; s < NSIG; ++s) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        if (status.ok() && s <= 64) {
            if (status->signals_caught & (uint64_t{1} << (s - 1))) ::sigaction(s, &fallback, nullptr);
            continue;
        }
        struct sigaction current {};
        if (::sigaction(s, nullptr, &current) != 0) continue;
        if (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN) ::sigaction(s, &fallback, nullptr);
    }
    // What an earlier monitor made in this memory is not this one's.
    g_stop_pending = 0;
    net::forget_held_ports(spawn.options->id);
    sigprocmask(SIG_SETMASK, &spawn.caller_mask, nullptr);
    become_monitor(*spawn.options, spawn.status_fd);
}

// The session child: a new session (the monitor is not its leader: no terminal it
// opens becomes its controlling one), then the monitor, then gone, so that the
// monitor is nobody's child but init's (or a subreaper's) once it runs.
int shared_session_main(void* argument) {
    ::setsid();
    const auto& spawn = *static_cast<const SharedSpawn*>(argument);
    pid_t monitor = ::clone(shared_monitor_main, spawn.monitor_stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, argument);
    _exit(monitor < 0 ? 1 : 0);
}

// spawn without fork: both children share this process's memory (CLONE_VM, as
// posix_spawn does) and it waits (CLONE_VFORK) until the monitor has exec'd
// hako-monitor. A fork copied the page tables of a large process and then paid a
// copy-on-write fault for every page either side wrote (malloc's bookkeeping
// touches many), and the monitor's execve tore the copy down again: ~40% of a
// set-up's time here. Only for a single-threaded caller: another thread would run
// beside the monitor on the same heap. The monitor's stack is kept for the next
// spawn (a starter spawns many): its pages stay faulted in.
Result<pid_t> spawn_shared(const SpawnOptions& options, int status_fd) {
    static runtime::InitStack monitor_stack;  // 8 MiB reserved, faulted in as used
    static bool mapped = false;
    if (!mapped) {
        monitor_stack = TRY(runtime::InitStack::map(64 << 10));  // the set-up runs ~12 pages deep
        mapped = true;
    }
    SharedSpawn spawn{&options, status_fd, {}, monitor_stack.top()};
    // The session child needs little stack: a piece of this frame, idle meanwhile.
    alignas(64) char session_stack[32 << 10];
    // Blocked across the clones: no handler of this process may run in a child
    // (on this memory) before the monitor has reset them.
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &spawn.caller_mask);
    pid_t child = options.single_start
                      ? ::clone(shared_monitor_main, spawn.monitor_stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, &spawn)
                      : ::clone(shared_session_main, session_stack + sizeof session_stack,
                                CLONE_VM | CLONE_VFORK | SIGCHLD, &spawn);
    int clone_errno = errno;
    sigprocmask(SIG_SETMASK, &spawn.caller_mask, nullptr);
    if (child < 0) return Error::from_syscall("clone", clone_errno, "monitor");
    return child;
}

}  // namespace

Result<Spawned> spawn(const SpawnOptions& options) {
    // One message per line: the reader takes a whole line in one read(2), and a
    // "started" that the same read would otherwise run into "exit" stays apart.
    int status[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, status) != 0)
        return Error::from_syscall("socketpair", errno, "status");
    sys::UniqueFd read_end(status[0]), write_end(status[1]);
    pid_t child = -1;
    bool direct = false;
    if (thread_count() == 1) {
        if (options.single_start) sys::pin_to_current_cpu();
        child = TRY(spawn_shared(options, status[1]));
        direct = options.single_start;  // the monitor itself: not waited for
    } else {
        child = ::fork();
        if (child < 0) return Error::from_syscall("fork", errno, "monitor");
        if (child == 0) {
            ::setsid();
            pid_t monitor = ::fork();
            if (monitor != 0) _exit(monitor < 0 ? 1 : 0);
            become_monitor(options, status[1]);
        }
    }
    write_end.reset();
    int wait_status = 0;
    while (!direct && ::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    return Spawned{std::move(read_end)};
}

std::string read_status_line(int fd) {
    std::string line(kStatusLineMax, '\0');
    for (;;) {
        ssize_t n = ::read(fd, line.data(), line.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return "";
        line.resize(static_cast<size_t>(n));
        if (!line.empty() && line.back() == '\n') line.pop_back();
        return line;
    }
}

Result<void> request_stop(pid_t monitor_pid, int grace_seconds) {
    sigval value{};
    value.sival_int = grace_seconds;
    if (::sigqueue(monitor_pid, SIGUSR1, value) != 0)
        return Error::from_syscall("sigqueue", errno, "monitor " + std::to_string(monitor_pid));
    return ok();
}

}  // namespace hako::monitor
