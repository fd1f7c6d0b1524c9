// This file declares how hako starts its detached helper processes (the DNS
// responder, a link's deletion): exec'd as hidden verbs of the lean hako-exit, never
// forked from the caller, whose pages a long-lived fork would share (every later
// write of the caller a copy-on-write fault) and whose descriptors it would hold.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::sys {

// The running binary (/proc/self/exe, resolved).
Result<std::filesystem::path> self_binary();
// The program `name` in the folder of `binary`, where hako's helpers (hako-exit,
// hako-monitor, hako-init, hako-fetch) are built and installed; an error, saying
// so, when it is not there or not executable.
Result<std::filesystem::path> binary_beside(const std::filesystem::path& binary, const std::string& name);
// binary_beside(self_binary(), name).
Result<std::filesystem::path> binary_beside_self(const std::string& name);

// hako-exit beside the running binary when it is there, else the running binary
// (/proc/self/exe); both run the hidden verbs (src/exitpath/monitor_verbs.h).
std::string helper_binary();

// Starts BINARY with ARGV (argv[0] included) by posix_spawn: `fd3` (when >= 0) as its
// fd 3, stdin, stdout and (unless keep_stderr) stderr on /dev/null, no other
// descriptor (the rest are close-on-exec), signals unblocked and default, in a new
// session when asked; returns its pid, which the caller waits for.
Result<pid_t> spawn_program(const std::string& binary, const std::vector<std::string>& argv, int fd3, bool keep_stderr,
                            bool new_session);

// Starts `helper_binary() --root ROOT ARGS…` in a new session, stdin/stdout/stderr
// on /dev/null, `fd3` (when >= 0) as its fd 3 and no other descriptor (the rest are
// close-on-exec, or closed by the verb), signals unblocked and default; returns its
// pid, which the caller waits for.
Result<pid_t> spawn_helper(const std::string& root, const std::vector<std::string>& args, int fd3 = -1);

}  // namespace hako::sys
