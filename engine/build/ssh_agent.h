// This file implements the ssh agent a build starts when `--ssh ID=KEYFILE` names
// private keys rather than an agent socket: ssh-agent on a socket in a private
// folder, the keys added with ssh-add; stopped (by its pid) with its owner.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::build {

class SshAgent {
public:
    // Starts `ssh-agent -D -a DIR/agent.sock` and adds `keys` to it.
    static Result<SshAgent> start(const std::filesystem::path& dir, const std::vector<std::string>& keys);
    SshAgent(SshAgent&& other) noexcept;
    SshAgent& operator=(SshAgent&&) = delete;
    ~SshAgent();

    const std::filesystem::path& socket() const { return socket_; }

private:
    SshAgent(pid_t pid, std::filesystem::path socket) : pid_(pid), socket_(std::move(socket)) {}
    pid_t pid_ = -1;
    std::filesystem::path socket_;
};

}  // namespace hako::build
