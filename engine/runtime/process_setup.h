// This file declares the last steps every container process takes before
// execve, shared by a container's init and by exec: rlimits, user and groups,
// capabilities, no_new_privileges, seccomp, umask, closing fds, PATH lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/seccomp.h"
#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::runtime {

// "RLIMIT_NOFILE" → RLIMIT_NOFILE; nullopt when unknown.
std::optional<int> rlimit_resource(const std::string& name);
Result<void> apply_rlimits(const std::vector<Rlimit>& rlimits);

// Switches to process.user and its capabilities, sets no_new_privileges and loads
// `seccomp` (before the capability drop when no_new_privileges is off: without
// it, loading a filter needs CAP_SYS_ADMIN), then the umask.
Result<void> apply_process_identity(const Process& process, const std::optional<Seccomp>& seccomp);
// The same with a program compiled beforehand (nullptr: no seccomp); nothing is
// compiled in the container's process.
Result<void> apply_process_identity(const Process& process, const SeccompProgram* seccomp);

// What a container process needs to know of itself before it resets its signals
// and capabilities, from one read of /proc/self/status where a query per signal
// and per capability cost some hundred system calls (each ~1-5 µs in a VM).
struct ProcessStatus {
    uint64_t signals_ignored = 0;      // SigIgn: bit N-1 is signal N
    uint64_t signals_caught = 0;       // SigCgt
    uint64_t capability_bounding = 0;  // CapBnd
};
Result<ProcessStatus> read_process_status();
// Parses the text of /proc/PID/status; missing fields stay 0.
ProcessStatus parse_process_status(std::string_view text);

// apply_process_identity for a process whose bounding set is `bounding_now`.
Result<void> apply_process_identity(const Process& process, const SeccompProgram* seccomp, uint64_t bounding_now);

// Where the exit status of a failed exec comes from, as docker reports it.
struct ExecLookupError {
    int exit_status;      // 127 not found, 126 not executable
    std::string message;  // exec: "foo": executable file not found in $PATH
};
// Finds args[0] on the PATH of `env` (or the default PATH) in the current root.
std::variant<std::string, ExecLookupError> find_executable(const std::string& command,
                                                           const std::vector<std::string>& env);

// Marks every fd above 2 close-on-exec, looks the command up and execve()s it;
// on failure prints docker's message on stderr and exits 127 or 126.
[[noreturn]] void exec_process(const Process& process);

// exec_process in two halves, for an init that shares its creator's memory until
// execve (CLONE_VM): prepare_exec looks the command up and builds argv and envp
// while the creator waits; exec_prepared allocates nothing, so it may run while
// the creator goes on (a lookup failure is only reported there, as exec_process does).
struct PreparedExec {
    std::string path;                         // empty: lookup failed
    std::optional<ExecLookupError> failure;
    std::vector<std::string> args, env;
    std::vector<char*> argv, envp;
};
PreparedExec prepare_exec(const Process& process);
[[noreturn]] void exec_prepared(const PreparedExec& prepared);

}  // namespace hako::runtime
