// This file implements the external OCI runtime driver (external_runtime.h).
#include "engine/monitor/external_runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "engine/sys/file.h"

namespace hako::monitor {

namespace fs = std::filesystem;

namespace {

// Runs the runtime with `args`, stdio as given (stderr also captured into
// `error_text` when no stdio is passed); returns its exit status.
Result<int> run_runtime(const ExternalRuntime& rt, std::vector<std::string> args, const runtime::Stdio* stdio,
                        std::string& error_text) {
    args.insert(args.begin(), {rt.program, "--root", rt.state.string()});
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, rt.program);
    sys::UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return Error::from_syscall("fork", errno, rt.program);
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        int null_fd = ::open("/dev/null", O_RDWR);
        int in = stdio ? stdio->in : null_fd, out = stdio ? stdio->out : null_fd;
        int err = stdio ? stdio->err : err_write.get();
        int sources[3] = {fcntl(in, F_DUPFD_CLOEXEC, 3), fcntl(out, F_DUPFD_CLOEXEC, 3), fcntl(err, F_DUPFD_CLOEXEC, 3)};
        for (int target = 0; target < 3; ++target) ::dup2(sources[target], target);
        ::execvp(argv[0], argv.data());
        _exit(127);
    }
    err_write.reset();
    char buffer[4096];
    for (ssize_t n; (n = ::read(err_read.get(), buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (error_text.size() < 8192) error_text.append(buffer, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return Error::from_syscall("waitpid", errno, rt.program);
    }
    return runtime::exit_status_of(status);
}

std::string last_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    size_t nl = text.rfind('\n');
    return nl == std::string::npos ? text : text.substr(nl + 1);
}

}  // namespace

Result<pid_t> external_create(const ExternalRuntime& rt, const std::string& id, const fs::path& bundle,
                              const runtime::Stdio& stdio) {
    std::error_code ec;
    fs::create_directories(rt.state, ec);
    fs::path pid_file = bundle / "runtime.pid";
    ::unlink(pid_file.c_str());
    std::string error_text;
    // runc passes the given stdio straight through to the container (no terminal).
    int status = TRY(run_runtime(rt, {"create", "--bundle", bundle.string(), "--pid-file", pid_file.string(), id},
                                 &stdio, error_text));
    if (status == 127 && error_text.empty()) return Error("runtime " + rt.program + ": not found", static_cast<ExitCode>(125));
    if (status != 0) {
        std::string why = last_line(error_text);
        return Error(rt.program + " create failed (status " + std::to_string(status) + ")" + (why.empty() ? "" : ": " + why));
    }
    auto text = TRY(sys::read_file(pid_file, 64));
    pid_t pid = static_cast<pid_t>(std::atoi(text.c_str()));
    if (pid <= 0) return Error(rt.program + " create: no pid in " + pid_file.string());
    return pid;
}

Result<void> external_start(const ExternalRuntime& rt, const std::string& id) {
    std::string error_text;
    int status = TRY(run_runtime(rt, {"start", id}, nullptr, error_text));
    if (status != 0) return Error(rt.program + " start failed: " + last_line(error_text));
    return ok();
}

void external_delete(const ExternalRuntime& rt, const std::string& id) {
    std::string error_text;
    (void)run_runtime(rt, {"delete", "--force", id}, nullptr, error_text);
}

}  // namespace hako::monitor
