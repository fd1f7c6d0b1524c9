// This file implements the per-container monitor (monitor.h): one poll loop over a
// signalfd, the container's output, the healthcheck probe and the attachers, no threads.
#include "engine/monitor/monitor.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/container/hooks.h"
#include "engine/container/log_line.h"
#include "engine/image/image_store.h"
#include "engine/monitor/attach.h"
#include "engine/monitor/external_runtime.h"
#include "engine/monitor/health.h"
#include "engine/monitor/log_writer.h"
#include "engine/monitor/memory_trim.h"
#include "engine/monitor/process_config.h"
#include "engine/runtime/linux_container.h"
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
constexpr int64_t kTrimDelayMs = 200;

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
    AttachMessage kind;
    sys::UniqueFd read;
    std::string pending;
    int attach = -1;
};

// One healthcheck probe running inside the container.
struct Probe {
    pid_t pid = 0;
    sys::UniqueFd output_fd;
    std::string output;
    std::string start;
    int64_t deadline_ms = 0;
    int64_t since_start_ns = 0;
};

// The container of one run: hako's runtime, or an external one's init adopted.
struct Running {
    runtime::Container container;
    bool external = false;
};

class Monitor {
public:
    Monitor(const SpawnOptions& options, int status_fd) : options_(options), status_fd_(status_fd) {}
    [[noreturn]] void run();

private:
    Result<void> prepare();
    Result<void> listen_attach();
    Result<void> mount_rootfs();
    Result<runtime::Spec> build_spec();
    Result<Running> launch(const runtime::Spec& spec);
    void supervise(Running& running);
    void pump(Stream& stream);
    void emit(Stream& stream, const char* data, size_t size);
    void log_text(Stream& stream, std::string_view text);
    void flush(Stream& stream);
    void accept_attacher();
    void serve_attacher(size_t index);
    void close_attachers();
    void start_probe(Running& running);
    void read_probe();
    void finish_probe(int exit_code, const std::string& note);
    void handle_signals(runtime::Container* container);
    void begin_stop(runtime::Container* container, int grace_seconds);
    void end_run(Running& running);
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
    sys::UniqueFd signal_fd_;
    std::optional<LogWriter> log_;
    sigset_t mask_{};
    Stream out_{"stdout", kStdout, {}, {}, -1}, err_{"stderr", kStderr, {}, {}, -1};
    bool stop_requested_ = false;
    int64_t kill_deadline_ = -1;
    bool exited_ = false;
    int wait_status_ = 0;
    int stop_signal_ = SIGTERM;
    // Process options of the record.
    bool tty_ = false, stdin_open_ = false;
    std::string external_runtime_;
    // The container's stdin (a pipe's write end) or its terminal's master side.
    sys::UniqueFd input_;
    sys::UniqueFd pty_master_;
    sys::UniqueFd listen_fd_;
    std::vector<sys::UniqueFd> attachers_;
    // Healthcheck.
    std::optional<image::Healthcheck> image_health_;
    std::optional<HealthConfig> health_;
    std::optional<Probe> probe_;
    int64_t next_probe_ms_ = -1;
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
    if (options_.attach_socket >= 0) attachers_.emplace_back(options_.attach_socket);
    state_.monitor_pid = getpid();
    state_.monitor_start_time = runtime::process_start_time(getpid());
    state_.restart_count = 0;
    state_.error.clear();
    auto stop_signal = container::parse_signal(record_.stop_signal);
    stop_signal_ = stop_signal.ok() ? *stop_signal : SIGTERM;
    TRY(check_process_section(record_.process));
    if (record_.process.is_object()) {
        tty_ = record_.process.value("tty", false);
        stdin_open_ = record_.process.value("stdin_open", false);
    }
    external_runtime_ = external_runtime(record_.process);
    if (!external_runtime_.empty() && tty_)
        return Error("a terminal (-t) is not supported with the external runtime " + external_runtime_);
    log_ = TRY(LogWriter::open(store_->log_path(record_.id), log_limits(record_.process)));
    auto images = TRY(image::ImageStore::open(options_.root));
    if (auto config = images.config(record_.image_id); config.ok()) image_health_ = config->config.healthcheck;
    health_ = TRY(health_config(record_.health, image_health_));
    return ok();
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
    // Rebuilt at every start: not synced.
    TRY(sys::write_file_atomic(dir_ / "config.json", runtime::to_json(spec), 0600, sys::Durability::Volatile));
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
            auto stale = runtime::load(store_->runtime_state_dir(), record_.id);
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
        out_.read.reset(::fcntl(pty_master_.get(), F_DUPFD_CLOEXEC, 3));
        input_.reset(::fcntl(pty_master_.get(), F_DUPFD_CLOEXEC, 3));
        err_.read.reset();
    } else {
        out_.read = std::move(out_r);
        err_.read = std::move(err_r);
        input_ = std::move(in_w);
    }
    return running;
}

void Monitor::log_text(Stream& stream, std::string_view text) {
    log_->write(container::encode_log_line(text, stream.name, image::now_rfc3339()));
}

void Monitor::flush(Stream& stream) {
    if (!stream.pending.empty()) log_text(stream, stream.pending);
    stream.pending.clear();
}

void Monitor::emit(Stream& stream, const char* data, size_t size) {
    write_all(stream.attach, data, size);
    for (auto& attacher : attachers_) {
        if (attacher && !send_packet(attacher.get(), stream.kind, std::string_view(data, size))) attacher.reset();
    }
    std::erase_if(attachers_, [](const sys::UniqueFd& fd) { return !fd.valid(); });
    stream.pending.append(data, size);
    size_t start = 0;
    for (size_t newline; (newline = stream.pending.find('\n', start)) != std::string::npos; start = newline + 1)
        log_text(stream, std::string_view(stream.pending).substr(start, newline + 1 - start));
    stream.pending.erase(0, start);
    if (stream.pending.size() >= 16384) flush(stream);
}

void Monitor::pump(Stream& stream) {
    char buffer[16384];
    ssize_t n = ::read(stream.read.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {  // EOF, or EIO from a terminal whose last slave closed
        flush(stream);
        stream.read.reset();
        return;
    }
    emit(stream, buffer, static_cast<size_t>(n));
}

void Monitor::accept_attacher() {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    // Outside a run there is nothing to attach to: the client sees EOF at once.
    if (exited_ || (!out_.read && !err_.read)) {
        ::close(fd);
        return;
    }
    attachers_.emplace_back(fd);
}

void Monitor::serve_attacher(size_t index) {
    char packet[kAttachPacketMax];
    ssize_t n = ::recv(attachers_[index].get(), packet, sizeof packet, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        attachers_[index].reset();
        return;
    }
    switch (packet[0]) {
        case kStdin: {
            int fd = input_.get();
            if (fd >= 0) write_all(fd, packet + 1, static_cast<size_t>(n - 1));
            if (fd < 0) input_.release();
            break;
        }
        case kResize:
            if (pty_master_ && n == 5) {
                auto byte = [&](int i) { return static_cast<unsigned char>(packet[i]); };
                winsize size{static_cast<unsigned short>(byte(1) << 8 | byte(2)),
                             static_cast<unsigned short>(byte(3) << 8 | byte(4)), 0, 0};
                ::ioctl(pty_master_.get(), TIOCSWINSZ, &size);
            }
            break;
        case kCloseStdin:
            if (!tty_) input_.reset();
            break;
        default:
            break;
    }
}

void Monitor::close_attachers() { attachers_.clear(); }

void Monitor::start_probe(Running& running) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    sys::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    sys::UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    runtime::Process process = running.container.spec.process;
    process.terminal = false;
    process.args = health_->command;
    Probe probe;
    probe.start = image::now_rfc3339();
    probe.since_start_ns = (now_ms() - run_started_ms_) * 1000000;
    probe.deadline_ms = now_ms() + std::max<int64_t>(1, health_->timeout_ns / 1000000);
    auto started = runtime::exec(running.container, process, {null_in.get(), write_end.get(), write_end.get()});
    probe_ = std::move(probe);
    if (!started.ok()) {
        finish_probe(-1, started.error().message);
        return;
    }
    probe_->pid = started->pid;
    ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
    probe_->output_fd = std::move(read_end);
}

void Monitor::read_probe() {
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(probe_->output_fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;  // EAGAIN: the rest later
        if (n == 0) {
            probe_->output_fd.reset();
            return;
        }
        size_t keep = std::min<size_t>(static_cast<size_t>(n), 4096 - std::min<size_t>(4096, probe_->output.size()));
        probe_->output.append(buffer, keep);
    }
}

void Monitor::finish_probe(int exit_code, const std::string& note) {
    ProbeResult result;
    result.start = probe_->start;
    result.end = image::now_rfc3339();
    result.exit_code = exit_code;
    result.output = note.empty() ? probe_->output : note;
    record_probe(state_, *health_, result, probe_->since_start_ns);
    probe_.reset();
    write_state();
    int64_t since_start_ns = (now_ms() - run_started_ms_) * 1000000;
    next_probe_ms_ = now_ms() + next_probe_delay_ns(state_, *health_, since_start_ns) / 1000000;
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
                } else if (probe_ && pid == probe_->pid) {
                    if (probe_->output_fd) read_probe();
                    finish_probe(runtime::exit_status_of(status), "");
                }
            }
        } else if (info.ssi_signo == SIGUSR1) {
            begin_stop(container, info.ssi_int);
        } else {
            begin_stop(container, -1);
        }
    }
}

void Monitor::supervise(Running& running) {
    runtime::Container& container = running.container;
    exited_ = false;
    kill_deadline_ = -1;
    run_started_ms_ = now_ms();
    probe_.reset();
    if (health_) {
        state_.health_status = "starting";
        state_.health_failing_streak = 0;
        next_probe_ms_ = run_started_ms_ + next_probe_delay_ns(state_, *health_, 0) / 1000000;
    }
    if (stop_requested_) begin_stop(&container, g_stop_grace);
    int64_t drain_deadline = -1;
    // Once the container has run a while, the set-up's pages go (memory_trim.h),
    // after each (re)start;
    // not at once: a short run (`run --rm … true`) would only pay for it.
    int64_t trim_at = run_started_ms_ + kTrimDelayMs;
    std::vector<pollfd> fds;
    for (;;) {
        if (exited_ && !out_.read && !err_.read) break;
        int64_t now = now_ms();
        if (exited_ && drain_deadline < 0) drain_deadline = now + 2000;  // a daemonised grandchild may hold a pipe
        if (exited_ && now >= drain_deadline) break;
        if (!exited_ && kill_deadline_ >= 0 && now >= kill_deadline_) {
            (void)runtime::kill(container, SIGKILL);
            kill_deadline_ = -1;
        }
        if (health_ && !exited_ && !stop_requested_) {
            if (probe_ && probe_->pid > 0 && now >= probe_->deadline_ms) {
                ::kill(probe_->pid, SIGKILL);  // reaped as an unknown child later
                long seconds = static_cast<long>(health_->timeout_ns / kSecondNs);
                finish_probe(-1, "Health check exceeded timeout (" + std::to_string(seconds) + "s)");
            }
            if (!probe_ && now >= next_probe_ms_) start_probe(running);
        }
        if (trim_at >= 0 && now >= trim_at && !exited_) {
            release_setup_memory();
            trim_at = -1;
        }
        int64_t deadline = exited_ ? drain_deadline : kill_deadline_;
        if (trim_at >= 0 && !exited_ && (deadline < 0 || trim_at < deadline)) deadline = trim_at;
        if (health_ && !exited_ && !stop_requested_) {
            int64_t probe_at = probe_ ? probe_->deadline_ms : next_probe_ms_;
            if (deadline < 0 || probe_at < deadline) deadline = probe_at;
        }
        int timeout = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));

        fds.clear();
        fds.push_back({signal_fd_.get(), POLLIN, 0});
        fds.push_back({out_.read.get(), POLLIN, 0});
        fds.push_back({err_.read.get(), POLLIN, 0});
        fds.push_back({probe_ && probe_->output_fd ? probe_->output_fd.get() : -1, POLLIN, 0});
        fds.push_back({listen_fd_.get(), POLLIN, 0});
        size_t first_attacher = fds.size();
        for (const auto& attacher : attachers_) fds.push_back({attacher.get(), POLLIN, 0});
        int ready = ::poll(fds.data(), fds.size(), timeout);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (fds[0].revents) handle_signals(&container);
        if (fds[1].revents && out_.read) pump(out_);
        if (fds[2].revents && err_.read) pump(err_);
        if (fds[3].revents && probe_ && probe_->output_fd) read_probe();
        if (fds[4].revents) accept_attacher();
        size_t count = std::min(attachers_.size(), fds.size() - first_attacher);
        for (size_t i = 0; i < count; ++i)
            if (fds[first_attacher + i].revents && attachers_[i]) serve_attacher(i);
        std::erase_if(attachers_, [](const sys::UniqueFd& fd) { return !fd.valid(); });
    }
    flush(out_);
    flush(err_);
    out_.read.reset();
    err_.read.reset();
    input_.reset();
    pty_master_.reset();
    close_attachers();
    if (probe_ && probe_->pid > 0) ::kill(probe_->pid, SIGKILL);
    probe_.reset();
}

void Monitor::end_run(Running& running) {
    state_.exit_code = runtime::exit_status_of(wait_status_);
    auto oom = runtime::oom_killed(running.container);
    state_.oom_killed = oom.ok() && *oom;
    if (running.external) {
        external_delete({external_runtime_, store_->root().run_dir() / "oci-runtime"}, record_.id);
    } else {
        (void)runtime::destroy(running.container);
    }
    net::detach(container::RunContext{*store_, record_, dir_});
    state_.pid = 0;
    state_.finished_at = image::now_rfc3339();
    // A stopped container is not healthy: dependents must not count on it.
    if (health_) state_.health_status = "unhealthy";
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
    // An external runtime's init is orphaned when `RUNTIME create` exits: it becomes ours.
    if (!external_runtime_.empty()) ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (auto listening = listen_attach(); !listening.ok()) fail(125, listening.error().message);
    if (auto mounted = mount_rootfs(); !mounted.ok()) fail(125, mounted.error().message);
    auto spec = build_spec();
    if (!spec.ok()) fail(125, spec.error().message);

    for (;;) {
        auto running = launch(*spec);
        if (!running.ok()) fail(125, running.error().message);
        state_.status = "running";
        state_.pid = running->container.pid();
        state_.started_at = image::now_rfc3339();
        state_.oom_killed = false;
        if (health_) {
            state_.health_status = "starting";
            state_.health_failing_streak = 0;
        }
        write_state();
        if (!exit_sent_) status_line(status_fd_, "started " + std::to_string(running->container.pid()));
        supervise(*running);
        end_run(*running);
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
    ::unlink((dir_ / kAttachSocketName).c_str());
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

void close_other_fds(std::initializer_list<int> keep) {
    std::vector<int> open_fds;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (dirent* entry = ::readdir(dir)) {
            int fd = std::atoi(entry->d_name);
            if (fd > 2 && fd != ::dirfd(dir)) open_fds.push_back(fd);
        }
        ::closedir(dir);
    }
    for (int fd : open_fds)
        if (std::find(keep.begin(), keep.end(), fd) == keep.end()) ::close(fd);
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
        for (int* fd : {&own.attach_out, &own.attach_err})
            if (*fd >= 0) *fd = ::fcntl(*fd, F_DUPFD_CLOEXEC, 3);
        int null_fd = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
        if (null_fd > 2) ::close(null_fd);
        // Nothing else of the CLI stays open here (a forked copy of a client's own
        // socket end would keep it from ever seeing the monitor go).
        close_other_fds({status[1], own.attach_out, own.attach_err, own.attach_socket});
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
