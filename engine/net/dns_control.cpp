// This file implements dns::sync (dns_control.h): it starts the state root's DNS
// responder (exec'd as a hidden verb, then setsid + fork), signals it to reload,
// or stops it, under RUN/dns.lock; a pid is signalled only when its start time
// matches the one the responder wrote, so a reused pid is never hit.
#include "engine/net/dns_control.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "engine/net/dns_records.h"
#include "engine/net/dns_server.h"
#include "engine/runtime/state.h"
#include "engine/store/state_root.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"
#include "engine/sys/helper_process.h"
#include "engine/sys/lock.h"

namespace hako::dns {
namespace fs = std::filesystem;

namespace {

constexpr int kReadyTimeoutMs = 5000;
constexpr int kStopTimeoutMs = 2000;
constexpr int kReloadTimeoutMs = 2000;

// The responder's pid when RUN/dns.pid names a live process with the recorded start time.
std::optional<pid_t> running_responder(const fs::path& run_dir) {
    auto text = sys::read_file(run_dir / kPidFile, 256);
    if (!text.ok()) return std::nullopt;
    long pid = 0;
    unsigned long long start = 0;
    if (std::sscanf(text->c_str(), "%ld %llu", &pid, &start) != 2 || pid <= 1 || start == 0) return std::nullopt;
    auto stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    if (!stat.ok()) return std::nullopt;
    auto close = stat->rfind(')');
    if (close == std::string::npos || close + 2 >= stat->size()) return std::nullopt;
    char state = (*stat)[close + 2];
    if (state == 'Z' || state == 'X') return std::nullopt;
    if (runtime::process_start_time(static_cast<pid_t>(pid)) != start) return std::nullopt;
    return static_cast<pid_t>(pid);
}

// Reads the responder's status line, waiting at most kReadyTimeoutMs.
std::string read_status(int fd) {
    std::string line;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int ready = ::poll(&p, 1, kReadyTimeoutMs);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return line.empty() ? "error the DNS responder did not start in time" : line;
        char c;
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == '\n') return line;
        line.push_back(c);
    }
}

// Exec'd, not forked: a fork of a many-threaded `up` shared its pages with the
// long-lived responder, and every page the CLI wrote afterwards was a copy-on-write
// fault (~400 per up of 10 services, ~15% of its CPU).
Result<void> spawn(const fs::path& root) {
    int status[2];
    if (::pipe2(status, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "DNS responder status");
    sys::UniqueFd read_end(status[0]);
    sys::UniqueFd write_end(status[1]);
    auto spawned = sys::spawn_helper(root.string(), {"__dns-responder"}, write_end.get());
    write_end.reset();
    if (!spawned.ok()) return std::move(spawned).error().context("DNS responder");
    pid_t child = *spawned;
    int wait_status = 0;
    while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    std::string line = read_status(read_end.get());
    if (line.rfind("ready ", 0) == 0) return ok();
    if (line.rfind("error ", 0) == 0) line = line.substr(6);
    return Error("DNS responder: " + (line.empty() ? std::string("it exited before it was ready") : line));
}

// Asks the responder to reload and waits for its answer, so the records and
// listeners are current when sync returns. False when it could not be asked.
bool reload_and_wait(const fs::path& run_dir) {
    fs::path path = run_dir / kControlSocket;
    sockaddr_un server{};
    server.sun_family = AF_UNIX;
    if (path.native().size() >= sizeof server.sun_path) return false;
    std::strcpy(server.sun_path, path.c_str());
    sys::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    sa_family_t family = AF_UNIX;  // autobind: an abstract address to be answered on
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&family), sizeof family) != 0) return false;
    if (::sendto(fd.get(), "reload", 6, 0, reinterpret_cast<sockaddr*>(&server), sizeof server) != 6) return false;
    pollfd p{fd.get(), POLLIN, 0};
    for (;;) {
        int ready = ::poll(&p, 1, kReloadTimeoutMs);
        if (ready < 0 && errno == EINTR) continue;
        if (ready != 1) return false;
        char answer[8];
        return ::recv(fd.get(), answer, sizeof answer, 0) == 2;
    }
}

Result<void> stop(pid_t pid, const fs::path& run_dir) {
    // A pidfd says the moment it is gone (running_responder checked the pid's start
    // time just before, so it is the responder's); without one, look every 10 ms.
    sys::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (::kill(pid, SIGTERM) != 0 && errno != ESRCH) return Error::from_syscall("kill", errno, "DNS responder");
    if (pidfd) {
        pollfd gone{pidfd.get(), POLLIN, 0};
        while (::poll(&gone, 1, kStopTimeoutMs) < 0 && errno == EINTR) {
        }
    }
    for (int waited = 0; waited < kStopTimeoutMs; waited += 10) {
        if (!running_responder(run_dir)) return ok();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Error("DNS responder " + std::to_string(pid) + " did not stop within " +
                 std::to_string(kStopTimeoutMs / 1000) + "s");
}

}  // namespace

void responder_verb(const fs::path& root_path) {
    // sys::spawn_helper gave this process a session of its own, stdio on /dev/null,
    // the status pipe as fd 3, and signals default and unblocked. Whatever else the
    // spawner left open without close-on-exec goes: not its locks (the sync lock
    // among them), not a monitor's status pipe that its CLI is reading to the end.
    ::syscall(SYS_close_range, 4u, ~0u, 0u);
    fs::path root = fs::absolute(root_path);
    auto state_root = store::StateRoot::open(root);
    if (!state_root.ok()) {
        std::string line = "error " + state_root.error().message + "\n";
        (void)!::write(3, line.data(), line.size());
        _exit(1);
    }
    ServerOptions options;
    options.root = root;
    options.run_dir = state_root->run_dir();
    const char* resolv = std::getenv("HAKO_RESOLV_CONF");
    options.resolv_conf = resolv && *resolv ? fs::path(resolv) : fs::path("/etc/resolv.conf");
    // The spawner waits for this process; the responder is its child, reparented
    // once this one is gone (to the subreaper or init), as a monitor is.
    pid_t responder = ::fork();
    if (responder != 0) _exit(responder < 0 ? 1 : 0);
    if (::chdir("/") != 0) _exit(1);
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    serve(options, 3);
}

Result<void> sync(const fs::path& root_path) {
    fs::path root = fs::absolute(root_path);
    auto state_root = TRY(store::StateRoot::open(root));
    const fs::path& run_dir = state_root.run_dir();
    auto lock = TRY(sys::FileLock::acquire(run_dir / kLockFile, sys::LockMode::Exclusive));
    bool needed = any_bridge_network(root);
    std::optional<pid_t> running = running_responder(run_dir);
    if (needed && !running) return spawn(root);
    if (needed && running) {
        if (reload_and_wait(run_dir)) return ok();
        if (::kill(*running, SIGHUP) == 0) return ok();
        if (errno != ESRCH) return Error::from_syscall("kill", errno, "DNS responder");
        return spawn(root);  // it left between the check and the signal
    }
    if (running) return stop(*running, run_dir);
    return ok();
}

}  // namespace hako::dns
