// This file implements the per-container monitor (monitor.h): one poll loop over a
// signalfd and the container's stdout/stderr pipes, no threads.
#include "engine/monitor/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "engine/container/container_store.h"
#include "engine/container/log_line.h"
#include "engine/image/image_store.h"
#include "engine/runtime/linux_container.h"
#include "engine/container/hooks.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/file.h"

namespace hako::monitor {

namespace fs = std::filesystem;
using container::ContainerRecord;
using container::ContainerState;
using container::ContainerStore;

namespace {

// Signals that reach the monitor while they are unblocked (around runtime::create,
// whose clone hands the signal mask to the container) are kept here.
volatile sig_atomic_t g_stop_pending = 0;
volatile sig_atomic_t g_stop_grace = -1;

void on_signal(int signal, siginfo_t* info, void*) {
    if (signal == SIGUSR1) {
        g_stop_pending = 1;
        g_stop_grace = info->si_value.sival_int;
    } else if (signal == SIGTERM || signal == SIGINT || signal == SIGHUP) {
        g_stop_pending = 1;
    }
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
        if (n <= 0) {  // the attached reader went away: stop copying to it
            ::close(fd);
            fd = -1;
            return;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

void status_line(int& fd, const std::string& line) {
    std::string text = line + "\n";
    write_all(fd, text.data(), text.size());
}

// Splits one stream into lines for the json-file log (docker cuts at 16 KiB too).
struct Stream {
    const char* name;
    sys::UniqueFd read;
    std::string pending;
    int attach = -1;
};

class Monitor {
public:
    Monitor(const SpawnOptions& options, int status_fd) : options_(options), status_fd_(status_fd) {}
    [[noreturn]] void run();

private:
    Result<void> prepare();
    Result<void> mount_rootfs();
    Result<runtime::Spec> build_spec();
    Result<runtime::Container> launch(const runtime::Spec& spec);
    void supervise(runtime::Container& container);
    void pump(Stream& stream);
    void log_text(Stream& stream, std::string_view text);
    void flush(Stream& stream);
    void handle_signals(runtime::Container* container);
    void begin_stop(runtime::Container* container, int grace_seconds);
    void write_state();
    [[noreturn]] void fail(int code, const std::string& message);
    [[noreturn]] void finish();

    SpawnOptions options_;
    int status_fd_;
    bool exit_sent_ = false;
    std::optional<ContainerStore> store_;
    ContainerRecord record_;
    ContainerState state_;
    fs::path dir_;
    bool mounted_ = false;
    sys::UniqueFd signal_fd_, log_fd_;
    sigset_t mask_{};
    Stream out_{"stdout", {}, {}, -1}, err_{"stderr", {}, {}, -1};
    bool stop_requested_ = false;
    int64_t kill_deadline_ = -1;
    bool exited_ = false;
    int wait_status_ = 0;
    int stop_signal_ = SIGTERM;
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
    if (store_ && record_.auto_remove) {
        (void)container::on_remove(container::RunContext{*store_, record_, dir_}, true);
        (void)store_->remove_files(record_.id);
    }
    if (!exit_sent_) status_line(status_fd_, "error " + std::to_string(code) + " " + message);
    _exit(1);
}

Result<void> Monitor::prepare() {
    store_ = TRY(ContainerStore::open(options_.root));
    record_ = TRY(store_->read(options_.id));
    state_ = TRY(store_->read_state(options_.id));
    dir_ = store_->dir(record_.id);
    out_.attach = options_.attach_out;
    err_.attach = options_.attach_err;
    state_.monitor_pid = getpid();
    state_.monitor_start_time = runtime::process_start_time(getpid());
    state_.restart_count = 0;
    state_.error.clear();
    auto stop_signal = container::parse_signal(record_.stop_signal);
    stop_signal_ = stop_signal.ok() ? *stop_signal : SIGTERM;
    fs::path log = store_->log_path(record_.id);
    log_fd_.reset(::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!log_fd_) return Error::from_syscall("open", errno, log.string());
    return ok();
}

Result<void> Monitor::mount_rootfs() {
    auto images = TRY(image::ImageStore::open(options_.root));
    auto image = TRY(images.record(record_.image_id));
    auto layers = images.layer_dirs(image);
    // Relative to ROOT, as docker's overlay2 does, so a deep stack fits one page.
    std::string lower;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
        if (!lower.empty()) lower += ':';
        lower += "l/" + it->filename().string();
    }
    std::string rel = "containers/" + record_.id;
    std::string data = "lowerdir=" + lower + ",upperdir=" + rel + "/upper,workdir=" + rel + "/work";
    if (::chdir(options_.root.c_str()) != 0) return Error::from_syscall("chdir", errno, options_.root.string());
    fs::path target = dir_ / "rootfs";
    ::umount2(target.c_str(), MNT_DETACH);  // left over by a monitor that died
    if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) != 0)
        return Error::from_syscall("mount overlay", errno, target.string());
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
    container::RunContext context{*store_, record_, dir_};
    TRY(net::prepare(context, c));
    TRY(volume::prepare(context, c));
    auto spec = TRY(runtime::build_spec(c, dir_ / "rootfs"));
    TRY(device::apply(context, spec));
    TRY(sys::write_file_atomic(dir_ / "config.json", runtime::to_json(spec), 0600));
    return spec;
}

Result<runtime::Container> Monitor::launch(const runtime::Spec& spec) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "stdout");
    sys::UniqueFd out_r(out[0]), out_w(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "stderr");
    sys::UniqueFd err_r(err[0]), err_w(err[1]);
    sys::UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    runtime::CreateOptions create;
    create.id = record_.id;
    create.state_root = store_->runtime_state_dir();
    create.stdio = {null_in.get(), out_w.get(), err_w.get()};
    create.cgroup_path = "/hako/" + record_.id;
    // runtime::create resets the signal mask in the container's init itself.
    auto created = runtime::create(spec, dir_, create);
    if (!created.ok()) {
        // A runtime state left by a monitor that died: clear it and try once more.
        auto stale = runtime::load(store_->runtime_state_dir(), record_.id);
        if (!stale.ok()) return std::move(created).error();
        (void)runtime::destroy(*stale);
        created = runtime::create(spec, dir_, create);
        if (!created.ok()) return std::move(created).error();
    }
    container::RunContext context{*store_, record_, dir_};
    if (auto attached = net::attach(context, created->pid()); !attached.ok()) {
        net::detach(context);
        (void)runtime::destroy(*created);
        return std::move(attached).error();
    }
    if (auto started = runtime::start(*created); !started.ok()) {
        net::detach(context);
        (void)runtime::destroy(*created);
        return std::move(started).error();
    }
    out_.read = std::move(out_r);
    err_.read = std::move(err_r);
    return std::move(*created);
}

void Monitor::log_text(Stream& stream, std::string_view text) {
    int fd = log_fd_.get();
    std::string line = container::encode_log_line(text, stream.name, image::now_rfc3339());
    write_all(fd, line.data(), line.size());
    if (fd < 0) log_fd_.release();
}

void Monitor::flush(Stream& stream) {
    if (!stream.pending.empty()) log_text(stream, stream.pending);
    stream.pending.clear();
}

void Monitor::pump(Stream& stream) {
    char buffer[16384];
    ssize_t n = ::read(stream.read.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        flush(stream);
        stream.read.reset();
        return;
    }
    write_all(stream.attach, buffer, static_cast<size_t>(n));
    stream.pending.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t newline; (newline = stream.pending.find('\n', start)) != std::string::npos; start = newline + 1)
        log_text(stream, std::string_view(stream.pending).substr(start, newline + 1 - start));
    stream.pending.erase(0, start);
    if (stream.pending.size() >= 16384) flush(stream);
}

void Monitor::begin_stop(runtime::Container* container, int grace_seconds) {
    stop_requested_ = true;
    if (!container || exited_) return;
    if (grace_seconds < 0) grace_seconds = record_.stop_timeout;
    if (grace_seconds == 0) {
        (void)runtime::kill(*container, SIGKILL);
        return;
    }
    (void)runtime::kill(*container, stop_signal_);
    kill_deadline_ = now_ms() + int64_t{grace_seconds} * 1000;
}

void Monitor::handle_signals(runtime::Container* container) {
    if (g_stop_pending) {
        g_stop_pending = 0;
        begin_stop(container, g_stop_grace);
    }
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGCHLD) {
            int status = 0;
            pid_t pid;
            while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
                if (container && pid == container->pid()) {
                    exited_ = true;
                    wait_status_ = status;
                }
            }
        } else if (info.ssi_signo == SIGUSR1) {
            begin_stop(container, info.ssi_int);
        } else {
            begin_stop(container, -1);
        }
    }
}

void Monitor::supervise(runtime::Container& container) {
    exited_ = false;
    kill_deadline_ = -1;
    if (stop_requested_) begin_stop(&container, g_stop_grace);
    int64_t drain_deadline = -1;
    for (;;) {
        pollfd fds[3] = {{signal_fd_.get(), POLLIN, 0}, {out_.read.get(), POLLIN, 0}, {err_.read.get(), POLLIN, 0}};
        if (exited_ && !out_.read && !err_.read) break;
        int64_t now = now_ms();
        if (exited_ && drain_deadline < 0) drain_deadline = now + 2000;  // a daemonised grandchild may hold a pipe
        if (exited_ && now >= drain_deadline) break;
        if (!exited_ && kill_deadline_ >= 0 && now >= kill_deadline_) {
            (void)runtime::kill(container, SIGKILL);
            kill_deadline_ = -1;
        }
        int64_t deadline = exited_ ? drain_deadline : kill_deadline_;
        int timeout = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - now));
        int ready = ::poll(fds, 3, timeout);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (fds[0].revents) handle_signals(&container);
        if (fds[1].revents && out_.read) pump(out_);
        if (fds[2].revents && err_.read) pump(err_);
    }
    flush(out_);
    flush(err_);
    out_.read.reset();
    err_.read.reset();
}

void Monitor::run() {
    if (auto prepared = prepare(); !prepared.ok()) fail(125, prepared.error().message);
    sigemptyset(&mask_);
    for (int s : {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask_, s);
    struct sigaction action {};
    action.sa_sigaction = on_signal;
    action.sa_flags = SA_SIGINFO;
    // Handlers, not SIG_IGN: a handler is reset by execve, an ignored signal would reach the container ignored.
    for (int s : {SIGUSR1, SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaction(s, &action, nullptr);
    sigprocmask(SIG_BLOCK, &mask_, nullptr);
    signal_fd_.reset(::signalfd(-1, &mask_, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd_) fail(125, std::string("signalfd: ") + std::strerror(errno));
    if (auto mounted = mount_rootfs(); !mounted.ok()) fail(125, mounted.error().message);
    auto spec = build_spec();
    if (!spec.ok()) fail(125, spec.error().message);

    for (;;) {
        auto container = launch(*spec);
        if (!container.ok()) fail(125, container.error().message);
        state_.status = "running";
        state_.pid = container->pid();
        state_.started_at = image::now_rfc3339();
        state_.oom_killed = false;
        write_state();
        if (!exit_sent_) status_line(status_fd_, "started " + std::to_string(container->pid()));
        supervise(*container);

        state_.exit_code = runtime::exit_status_of(wait_status_);
        auto oom = runtime::oom_killed(*container);
        state_.oom_killed = oom.ok() && *oom;
        (void)runtime::destroy(*container);
        net::detach(container::RunContext{*store_, record_, dir_});
        state_.pid = 0;
        state_.finished_at = image::now_rfc3339();
        if (!container::should_restart(record_.restart, state_.exit_code, state_.restart_count, stop_requested_))
            break;
        state_.status = "restarting";
        write_state();
        if (!exit_sent_) {
            status_line(status_fd_, "exit " + std::to_string(state_.exit_code));
            exit_sent_ = true;
            for (int* fd : {&status_fd_, &out_.attach, &err_.attach}) {
                if (*fd >= 0) ::close(*fd);
                *fd = -1;
            }
        }
        int64_t wake = now_ms() + container::restart_delay_ms(state_.restart_count);
        while (!stop_requested_) {
            int64_t left = wake - now_ms();
            if (left <= 0) break;
            pollfd fd{signal_fd_.get(), POLLIN, 0};
            if (::poll(&fd, 1, static_cast<int>(left)) > 0) handle_signals(nullptr);
            if (g_stop_pending) handle_signals(nullptr);
        }
        if (stop_requested_) break;
        ++state_.restart_count;
    }
    finish();
}

[[noreturn]] void Monitor::finish() {
    volume::release(container::RunContext{*store_, record_, dir_});
    if (mounted_) ::umount2((dir_ / "rootfs").c_str(), MNT_DETACH);
    state_.status = "exited";
    state_.pid = 0;
    if (record_.auto_remove) {
        (void)container::on_remove(container::RunContext{*store_, record_, dir_}, true);
        (void)store_->remove_files(record_.id);
    }
    else write_state();
    if (!exit_sent_) status_line(status_fd_, "exit " + std::to_string(state_.exit_code));
    _exit(0);
}

}  // namespace

[[noreturn]] void run(const SpawnOptions& options, int status_fd) {
    Monitor monitor(options, status_fd);
    monitor.run();
    _exit(0);  // not reached
}

Result<Spawned> spawn(const SpawnOptions& options) {
    int status[2];
    if (::pipe2(status, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "status");
    sys::UniqueFd read_end(status[0]);
    pid_t child = ::fork();
    if (child < 0) {
        ::close(status[1]);
        return Error::from_syscall("fork", errno, "monitor");
    }
    if (child == 0) {
        ::setsid();
        pid_t monitor = ::fork();
        if (monitor != 0) _exit(monitor < 0 ? 1 : 0);
        SpawnOptions own = options;
        if (own.attach_out >= 0) own.attach_out = ::fcntl(own.attach_out, F_DUPFD_CLOEXEC, 3);
        if (own.attach_err >= 0) own.attach_err = ::fcntl(own.attach_err, F_DUPFD_CLOEXEC, 3);
        int null_fd = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
        if (null_fd > 2) ::close(null_fd);
        Monitor monitor_body(own, status[1]);
        monitor_body.run();
    }
    ::close(status[1]);
    int wait_status = 0;
    while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    return Spawned{std::move(read_end)};
}

std::string read_status_line(int fd) {
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == '\n') return line;
        line.push_back(c);
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
