// This file implements SshAgent (see ssh_agent.h) with posix_spawn.
#include "engine/build/ssh_agent.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

extern char** environ;

namespace hako::build {

namespace fs = std::filesystem;

namespace {

// Spawns `args` (found on PATH) with stdin and stdout on /dev/null; `env` replaces
// the environment when not empty.
Result<pid_t> spawn(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), env.empty() ? environ : envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return Error::from_syscall("posix_spawn", rc, args[0]);
    return pid;
}

}  // namespace

Result<SshAgent> SshAgent::start(const fs::path& dir, const std::vector<std::string>& keys) {
    fs::path socket = dir / "agent.sock";
    pid_t pid = TRY(spawn({"ssh-agent", "-D", "-a", socket.string()}, {}));
    SshAgent agent(pid, socket);
    struct stat st {};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::stat(socket.c_str(), &st) != 0) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            agent.pid_ = -1;
            return Error("--ssh: ssh-agent exited before it listened on " + socket.string());
        }
        if (std::chrono::steady_clock::now() > deadline) return Error("--ssh: ssh-agent did not start in 5 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::vector<std::string> add = {"ssh-add", "-q"};
    add.insert(add.end(), keys.begin(), keys.end());
    pid_t adder = TRY(spawn(add, {"SSH_AUTH_SOCK=" + socket.string(), "PATH=/usr/bin:/bin", "SSH_ASKPASS_REQUIRE=never"}));
    int status = 0;
    while (::waitpid(adder, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string names;
        for (const auto& k : keys) names += (names.empty() ? "" : ", ") + k;
        return Error("--ssh: ssh-add could not load " + names + " (not a private key, or it has a passphrase)");
    }
    return agent;
}

SshAgent::SshAgent(SshAgent&& other) noexcept : pid_(other.pid_), socket_(std::move(other.socket_)) { other.pid_ = -1; }

SshAgent::~SshAgent() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace hako::build
