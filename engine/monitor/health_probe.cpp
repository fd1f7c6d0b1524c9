// This file implements one healthcheck probe (health_probe.h): runtime::exec of
// the check with its output on a pipe, a pidfd for its end, the timeout as the
// poll's deadline; health.h's rules fold the result into the state.
#include "engine/monitor/health_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "engine/container/container_store.h"
#include "engine/image/image_store.h"
#include "engine/monitor/health.h"
#include "engine/runtime/linux_container.h"
#include "engine/sys/clock.h"

namespace hako::monitor {

namespace {

constexpr size_t kMaxOutput = 4096;

int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Reads what is there (non-blocking); false at end of file.
bool read_output(int fd, std::string& output) {
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return true;  // EAGAIN: the rest later
        if (n == 0) return false;
        size_t keep = std::min(static_cast<size_t>(n), kMaxOutput - std::min(kMaxOutput, output.size()));
        output.append(buffer, keep);
    }
}

// Runs the check; the exit code, or -1 with `output` saying why.
int probe(const runtime::Container& container, const HealthConfig& health, std::string& output) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        output = "pipe: " + std::string(std::strerror(errno));
        return -1;
    }
    sys::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    sys::UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    runtime::Process process = container.spec.process;
    process.terminal = false;
    process.args = health.command;
    int64_t deadline = now_ms() + std::max<int64_t>(1, health.timeout_ns / 1000000);
    auto started = runtime::exec(container, process, {null_in.get(), write_end.get(), write_end.get()});
    if (!started.ok()) {
        output = started.error().message;
        return -1;
    }
    write_end.reset();
    pid_t pid = started->pid;
    sys::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    bool reading = true;
    for (;;) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            if (reading) read_output(read_end.get(), output);
            return runtime::exit_status_of(status);
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            output = "Health check exceeded timeout (" + std::to_string(health.timeout_ns / kSecondNs) + "s)";
            return -1;
        }
        pollfd fds[2] = {{reading ? read_end.get() : -1, POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        // Without a pidfd (an old kernel) the end is seen on the next turn.
        int wait = pidfd ? static_cast<int>(left) : static_cast<int>(std::min<int64_t>(left, 10));
        ::poll(fds, 2, wait);
        if (reading && fds[0].revents) reading = read_output(read_end.get(), output);
    }
}

}  // namespace

Result<ProbeVerdict> run_probe(const std::filesystem::path& root, const std::string& id, int64_t since_start_ns) {
    auto store = TRY(container::ContainerStore::open(root));
    auto record = TRY(store.read(id));
    auto state = TRY(store.read_state(id));
    if (state.status != "running" || state.pid <= 0) return Error("container " + id + " is not running");
    std::optional<image::Healthcheck> image_health;
    auto images = TRY(image::ImageStore::open(root));
    if (auto config = images.config(record.image_id); config.ok()) image_health = config->config.healthcheck;
    auto health = TRY(health_config(record.health, image_health));
    if (!health) return Error("container " + id + " has no healthcheck");
    auto spec = TRY(runtime::load_bundle_spec(store.dir(id)));
    auto container = TRY(runtime::adopt(id, state.pid, spec, spec.linux_spec.cgroups_path));
    container.dir = store.runtime_state_dir() / id;  // its compiled seccomp programs

    ProbeResult result;
    result.start = sys::now_rfc3339();
    result.exit_code = probe(container, *health, result.output);
    result.end = sys::now_rfc3339();
    // The monitor runs one probe at a time and none once the run ended: nothing
    // else writes the state meanwhile.
    state = TRY(store.read_state(id));
    record_probe(state, *health, result, since_start_ns);
    TRY(store.write_state(id, state));
    if (state.health_status == "healthy") return ProbeVerdict::Healthy;
    if (state.health_status == "unhealthy") return ProbeVerdict::Unhealthy;
    return ProbeVerdict::Starting;
}

}  // namespace hako::monitor
