// This file implements the helper processes' start (helper_process.h) with
// posix_spawn: the caller's memory is shared only until the exec (CLONE_VFORK).
#include "engine/sys/helper_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <filesystem>

namespace hako::sys {

Result<std::filesystem::path> self_binary() {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return Error::from_syscall("readlink", ec.value(), "/proc/self/exe");
    return self;
}

Result<std::filesystem::path> binary_beside(const std::filesystem::path& binary, const std::string& name) {
    std::filesystem::path helper = binary.parent_path() / name;
    if (::access(helper.c_str(), X_OK) != 0)
        return Error(helper.string() + " is missing (" + name + " is built and installed with hako)");
    return helper;
}

Result<std::filesystem::path> binary_beside_self(const std::string& name) {
    return binary_beside(TRY(self_binary()), name);
}

std::string helper_binary() {
    auto lean = binary_beside_self("hako-exit");
    return lean.ok() ? lean->string() : "/proc/self/exe";
}

Result<pid_t> spawn_program(const std::string& binary, const std::vector<std::string>& args, int fd3,
                           bool keep_stderr, bool new_session) {
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (fd3 >= 0) posix_spawn_file_actions_adddup2(&actions, fd3, 3);
    for (int fd = 0; fd < (keep_stderr ? 2 : 3); ++fd)
        posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (new_session ? POSIX_SPAWN_SETSID : 0));
    pid_t child = 0;
    int spawned = ::posix_spawn(&child, binary.c_str(), &actions, &attributes, const_cast<char**>(argv.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0) return Error::from_syscall("posix_spawn", spawned, binary);
    return child;
}

Result<pid_t> spawn_helper(const std::string& root, const std::vector<std::string>& args, int fd3) {
    std::string binary = helper_binary();
    std::vector<std::string> argv{binary, "--root", root};
    argv.insert(argv.end(), args.begin(), args.end());
    return spawn_program(binary, argv, fd3, false, true);
}

}  // namespace hako::sys
