// This file implements the OCI hook runner (oci_hooks.h): fork, exec with the
// hook's argv and environment, the state on stdin, output kept for the error
// message, a deadline watched through a pidfd.
#include "engine/runtime/oci_hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "engine/sys/fd.h"

namespace hako::runtime {
namespace {

constexpr size_t kOutputKept = 4096;

std::string describe(const Hook& hook, HookPhase phase, size_t index) {
    return std::string(hook_phase_name(phase)) + " hook #" + std::to_string(index + 1) + " (" + hook.path + ")";
}

// In the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_hook(const char* path, char* const* argv, char* const* envp, int in, int out) {
    setpgid(0, 0);  // a timeout kills the hook and whatever it started
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal)
        if (signal != SIGKILL && signal != SIGSTOP) sigaction(signal, &default_action, nullptr);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execve(path, argv, envp);
    static const char message[] = "the hook could not be executed\n";
    ssize_t written = ::write(2, message, sizeof message - 1);
    (void)written;
    _exit(127);
}

void keep_tail(std::string& output, const char* data, size_t size) {
    output.append(data, size);
    if (output.size() > 2 * kOutputKept) output.erase(0, output.size() - kOutputKept);
}

// Reads what is there without blocking; false at end of file.
bool read_available(int fd, std::string& output) {
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            keep_tail(output, buffer, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && errno == EAGAIN;
    }
}

std::string trimmed_output(std::string output) {
    if (output.size() > kOutputKept) output.erase(0, output.size() - kOutputKept);
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    return output;
}

}  // namespace

const char* hook_phase_name(HookPhase phase) {
    switch (phase) {
        case HookPhase::Prestart: return "prestart";
        case HookPhase::CreateRuntime: return "createRuntime";
        case HookPhase::CreateContainer: return "createContainer";
        case HookPhase::StartContainer: return "startContainer";
        case HookPhase::Poststart: return "poststart";
        case HookPhase::Poststop: return "poststop";
    }
    return "?";
}

const std::vector<Hook>& hooks_of(const Hooks& hooks, HookPhase phase) {
    switch (phase) {
        case HookPhase::Prestart: return hooks.prestart;
        case HookPhase::CreateRuntime: return hooks.create_runtime;
        case HookPhase::CreateContainer: return hooks.create_container;
        case HookPhase::StartContainer: return hooks.start_container;
        case HookPhase::Poststart: return hooks.poststart;
        case HookPhase::Poststop: return hooks.poststop;
    }
    return hooks.poststop;
}

std::string state_json(const HookState& state) {
    nlohmann::json j = {{"ociVersion", state.oci_version}, {"id", state.id},       {"status", state.status},
                        {"pid", state.pid},                {"bundle", state.bundle}};
    if (!state.annotations.empty()) j["annotations"] = state.annotations;
    return j.dump();
}

int hooks_time_limit(const Hooks& hooks, HookPhase phase) {
    int total = 0;
    for (const auto& hook : hooks_of(hooks, phase)) total += hook.timeout.value_or(kDefaultHookTimeoutSeconds);
    return total;
}

Result<void> run_hook(const Hook& hook, HookPhase phase, size_t index, std::string_view state) {
    using namespace std::chrono;
    const std::string name = describe(hook, phase, index);
    if (hook.path.empty() || hook.path.front() != '/') return Error(name + ": the path must be absolute");
    int timeout = hook.timeout.value_or(kDefaultHookTimeoutSeconds);
    if (timeout <= 0) return Error(name + ": timeout must be greater than zero");
    if (::access(hook.path.c_str(), X_OK) != 0) return Error::from_syscall(name + ": execute", errno, hook.path);

    std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = hook.env;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    int in[2], out[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) return Error::from_syscall("socketpair", errno, name);
    sys::UniqueFd in_parent(in[0]), in_child(in[1]);
    if (pipe2(out, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, name);
    sys::UniqueFd out_parent(out[0]), out_child(out[1]);

    pid_t pid = fork();
    if (pid < 0) return Error::from_syscall("fork", errno, name);
    if (pid == 0) exec_hook(hook.path.c_str(), argv.data(), envp.data(), in_child.get(), out_child.get());
    in_child.reset();
    out_child.reset();
    // A hook may exit without reading its stdin: no SIGPIPE, and what it did not read is lost.
    for (size_t sent = 0; sent < state.size();) {
        ssize_t n = ::send(in_parent.get(), state.data() + sent, state.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
    }
    in_parent.reset();

    fcntl(out_parent.get(), F_SETFL, O_NONBLOCK);
    sys::UniqueFd exited(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    std::string output;
    int wait_status = 0;
    bool done = false;
    auto deadline = steady_clock::now() + seconds(timeout);
    while (!done) {
        pid_t waited = waitpid(pid, &wait_status, WNOHANG);
        if (waited == pid || (waited < 0 && errno == ECHILD)) {
            done = true;
            break;
        }
        auto remaining = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
        if (remaining <= 0) break;
        pollfd fds[2];
        nfds_t count = 0;
        if (out_parent) fds[count++] = {out_parent.get(), POLLIN, 0};
        if (exited) fds[count++] = {exited.get(), POLLIN, 0};
        // Without a pidfd (kernels before 5.3) the exit is noticed by polling.
        int wait_ms = static_cast<int>(exited ? remaining : std::min<long long>(remaining, 10));
        if (::poll(fds, count, wait_ms) > 0 && out_parent && (fds[0].revents & (POLLIN | POLLHUP)))
            if (!read_available(out_parent.get(), output)) out_parent.reset();
    }
    if (!done) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
        return Error(name + ": timed out after " + std::to_string(timeout) + " s");
    }
    if (out_parent) read_available(out_parent.get(), output);
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return ok();
    std::string how = WIFEXITED(wait_status) ? "exit status " + std::to_string(WEXITSTATUS(wait_status))
                                             : "killed by signal " + std::to_string(WTERMSIG(wait_status));
    output = trimmed_output(std::move(output));
    return Error(name + ": " + how + (output.empty() ? "" : ": " + output));
}

Result<void> run_hooks(const Hooks& hooks, HookPhase phase, const HookState& state) {
    const auto& list = hooks_of(hooks, phase);
    if (list.empty()) return ok();
    std::string text = state_json(state);
    for (size_t i = 0; i < list.size(); ++i) TRY(run_hook(list[i], phase, i, text));
    return ok();
}

void run_hooks_warning(const Hooks& hooks, HookPhase phase, const HookState& state) {
    const auto& list = hooks_of(hooks, phase);
    if (list.empty()) return;
    std::string text = state_json(state);
    for (size_t i = 0; i < list.size(); ++i)
        if (auto ran = run_hook(list[i], phase, i, text); !ran.ok())
            spdlog::warn("container {}: {}", state.id, ran.error().message);
}

}  // namespace hako::runtime
