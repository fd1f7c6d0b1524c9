// This file declares hako's built-in Linux OCI runtime: create a container from a
// bundle (its init waits, fully set up, for start), start, kill, exec, destroy.
// The caller of create() is the init's parent: it reaps it and reads its exit.
// create() clones the init (with CLONE_VM, on its own stack, when no OCI hook runs
// in it) and exec() forks: call them from a single-threaded process.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "engine/runtime/cgroup.h"
#include "engine/runtime/spec.h"
#include "engine/runtime/state.h"
#include "engine/sys/fd.h"
#include "engine/sys/error.h"

namespace hako::runtime {

struct Stdio {
    int in = 0;
    int out = 1;
    int err = 2;
};

struct CreateOptions {
    std::string id;
    std::filesystem::path state_root;  // STATE_ROOT/ID is the state record, STATE_ROOT/.ID.fifo the exec fifo
    Stdio stdio;                       // ignored when the process asks for a terminal
    std::string cgroup_path;           // default: the spec's cgroupsPath, else "/hako/ID"
    // The init keeps PR_SET_PDEATHSIG SIGKILL after create: it dies with the
    // process that created it (a monitor that stays its parent); false = runc-like.
    // Such an init can only be started by its creator: start() tells it on the
    // socket create() talked to it on, and no exec fifo is made.
    bool die_with_creator = false;
};

// The stack an init cloned with CLONE_VM runs its set-up on, in its creator's
// memory. Only destroy() (or a failed create) unmaps it, once the init is reaped:
// until its execve the init runs on it, and a creator that exits before (a
// runc-like create) leaves its memory to the init. Otherwise it stays mapped.
class InitStack {
public:
    InitStack() = default;
    InitStack(InitStack&& other) noexcept;
    InitStack& operator=(InitStack&& other) noexcept;
    InitStack(const InitStack&) = delete;
    InitStack& operator=(const InitStack&) = delete;
    ~InitStack() = default;  // deliberately not unmapped: see above

    // 8 MiB reserved, with a guard page below; its top `mapped` bytes mapped now
    // (sys::prefault_stack_top), the rest faulted in as used.
    static Result<InitStack> map(size_t mapped);
    void* top() const { return static_cast<char*>(base_) + size_; }
    void unmap();

private:
    void* base_ = nullptr;
    size_t size_ = 0;
};

struct Container {
    State state;
    std::filesystem::path dir;  // STATE_ROOT/ID, the state record
    Spec spec;
    Cgroup cgroup;
    sys::UniqueFd pty_master;  // the terminal's master side when spec.process.terminal
    InitStack init_stack;      // set by create() when the init shares its memory
    sys::UniqueFd start_socket;  // until start(), for an init that dies with its creator

    pid_t pid() const { return state.pid; }
};

// Sets the container up and leaves its init waiting for start(): cgroup with its
// limits, namespaces, rootfs, devices, pivot_root, masked paths, hostname,
// sysctls, rlimits, user, capabilities, seccomp.
Result<Container> create(const Spec& spec, const std::filesystem::path& bundle, const CreateOptions& options);
// Lets the init execve the process args.
Result<void> start(Container& container);
Result<void> kill(const Container& container, int signal);
Status status(const Container& container);
// Whether the kernel OOM-killed a process of the container (call after the init exits, before destroy).
Result<bool> oom_killed(const Container& container);
// Kills what is left, removes the cgroup and the state folder.
Result<void> destroy(Container& container);
// Reopens a container from STATE_ROOT/ID (another hako process created it).
Result<Container> load(const std::filesystem::path& state_root, const std::string& id);
// The same for destroy alone: the spec is read only when it has hooks (State::has_hooks).
Result<Container> load_for_teardown(const std::filesystem::path& state_root, const std::string& id);

// A running container known only by its init's pid, spec and cgroup (one run by
// an external OCI runtime, or by a monitor): enough for exec, kill and oom_killed.
Result<Container> adopt(const std::string& id, pid_t pid, const Spec& spec, const std::string& cgroup_path);

struct ExecResult {
    pid_t pid = 0;         // a child of the caller
    sys::UniqueFd pty_master;   // when process.terminal
};
// Runs `process` inside the running container: setns into its namespaces, its
// cgroup, then the same user, capability and seccomp handling as its init.
Result<ExecResult> exec(const Container& container, const Process& process, const Stdio& stdio);

// A wait status as a shell exit status: the exit code, or 128 + the signal.
int exit_status_of(int wait_status);

}  // namespace hako::runtime
