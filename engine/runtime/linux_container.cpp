// This file implements the container lifecycle of hako's built-in runtime: the
// init is cloned into its namespaces, set up in the child without exec'ing hako
// again, and parked until start(): on an exec fifo, or on its sync socket when
// only its creator can start it.
#include "engine/runtime/linux_container.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <utility>

#include "engine/runtime/capabilities.h"
#include "engine/runtime/namespaces.h"
#include "engine/runtime/oci_hooks.h"
#include "engine/sys/affinity.h"
#include "engine/sys/clock.h"
#include "engine/runtime/path_in_root.h"
#include "engine/runtime/process_setup.h"
#include "engine/runtime/rootfs.h"
#include "engine/sys/prefault.h"
#include "engine/sys/remove_tree.h"

namespace hako::runtime {
namespace {

namespace fs = std::filesystem;

// Child → parent messages on the sync socket: "OK" or "ERR:<message>".
void send_message(int fd, const std::string& message) {
    ssize_t n = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
    (void)n;
}

// The message is built, sent, and never freed: an init that shares its creator's
// memory must not touch the heap once the creator, woken by the message, goes on.
[[noreturn]] void fail_child(int sync_fd, const Error& error) {
    std::string message = "ERR:" + error.message;
    ssize_t n = ::send(sync_fd, message.data(), message.size(), MSG_NOSIGNAL);
    (void)n;
    _exit(1);
}

// Reads one message; EOF means the child exec'd (for exec) or died (for create).
Result<std::string> receive_message(int fd) {
    char buffer[8192];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n >= 0) return std::string(buffer, static_cast<size_t>(n));
        if (errno != EINTR) return Error::from_syscall("recv", errno, "sync socket");
    }
}

Result<std::pair<sys::UniqueFd, sys::UniqueFd>> socket_pair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        return Error::from_syscall("socketpair", errno);
    return std::pair{sys::UniqueFd(fds[0]), sys::UniqueFd(fds[1])};
}

struct Pty {
    sys::UniqueFd master, slave;
};

Result<Pty> open_pty() {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return Error::from_syscall("posix_openpt", errno);
    Pty pty{sys::UniqueFd(master), {}};
    if (grantpt(master) != 0 || unlockpt(master) != 0) return Error::from_syscall("unlockpt", errno);
    char name[128];
    if (ptsname_r(master, name, sizeof name) != 0) return Error::from_syscall("ptsname", errno);
    int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return Error::from_syscall("open", errno, name);
    pty.slave.reset(slave);
    return pty;
}

Result<void> attach_stdio(int terminal_fd, const Stdio& stdio) {
    if (setsid() < 0) return Error::from_syscall("setsid", errno);
    if (terminal_fd >= 0) {
        if (ioctl(terminal_fd, TIOCSCTTY, 0) != 0) return Error::from_syscall("ioctl(TIOCSCTTY)", errno);
        for (int target : {0, 1, 2})
            if (dup2(terminal_fd, target) < 0) return Error::from_syscall("dup2", errno);
        return ok();
    }
    // dup every source first: a source may sit on a target number.
    int sources[3] = {fcntl(stdio.in, F_DUPFD_CLOEXEC, 3), fcntl(stdio.out, F_DUPFD_CLOEXEC, 3),
                      fcntl(stdio.err, F_DUPFD_CLOEXEC, 3)};
    for (int target = 0; target < 3; ++target) {
        if (sources[target] < 0) return Error::from_syscall("fcntl(F_DUPFD)", errno, "stdio");
        if (dup2(sources[target], target) < 0) return Error::from_syscall("dup2", errno);
        ::close(sources[target]);
    }
    return ok();
}

struct InitArguments {
    const Spec* spec;
    fs::path rootfs;
    NamespacePlan plan;
    int sync_fd;
    int fifo_fd;      // O_PATH on STATE_ROOT/.ID.fifo; -1: started over sync_fd
    int terminal_fd;  // pty slave or -1
    Stdio stdio;
    std::string id;
    fs::path bundle;
    const SeccompProgram* seccomp;  // compiled before clone; nullptr: none
    bool die_with_creator = false;  // CreateOptions::die_with_creator
    bool shared_memory = false;     // cloned with CLONE_VM (see create())
    // Its cgroup's v1 `tasks` files: the init moves itself in (join_opened with 0);
    // nullptr: its creator moves it in.
    const std::vector<sys::UniqueFd>* task_files = nullptr;
    const Cgroup* cgroup = nullptr;  // names a `tasks` file that failed
};

HookState hook_state(const Spec& spec, const std::string& id, const fs::path& bundle, pid_t pid, const char* status) {
    return HookState{spec.oci_version, id, status, pid, bundle.string(), spec.annotations};
}

bool has_create_hooks(const Hooks& hooks) {
    return !hooks.prestart.empty() || !hooks.create_runtime.empty() || !hooks.create_container.empty();
}

// Hooks that involve the init before its execve (it waits for or runs them).
bool has_init_hooks(const Hooks& hooks) { return has_create_hooks(hooks) || !hooks.start_container.empty(); }

// A container process starts with every signal unblocked and at its default
// action, whatever its creator (a monitor with a signalfd) had: the mask and
// ignored signals would otherwise survive execve, and a handler of the creator
// must not run in the child before it. Only the signals `status` names as ignored
// or caught are reset (every one when the status is unknown), then unblocked.
void reset_signals(const std::optional<ProcessStatus>& status) {
    uint64_t changed = status ? status->signals_ignored | status->signals_caught : ~uint64_t{0};
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        if (signal <= 64 && !(changed & (uint64_t{1} << (signal - 1)))) continue;
        ::signal(signal, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::optional<ProcessStatus> own_status() {
    auto status = read_process_status();
    if (!status.ok()) return std::nullopt;
    return *status;
}

// The identity step with the bounding set read beforehand, when it could be.
Result<void> apply_identity(const Process& process, const SeccompProgram* seccomp,
                            const std::optional<ProcessStatus>& status) {
    // The container's processes run where its caller may (sys/affinity.h); before
    // the seccomp filter, which may refuse sched_setaffinity.
    sys::restore_affinity();
    if (status) return apply_process_identity(process, seccomp, status->capability_bounding);
    return apply_process_identity(process, seccomp);
}

// The container's init, in its new namespaces; it never returns.
[[noreturn]] void run_init(const InitArguments& a) {
    // An init that shares its creator's memory allocates nothing before "G": the
    // creator is still at work (and it blocked every signal around the clone).
    std::optional<ProcessStatus> status;
    if (!a.shared_memory) {
        status = own_status();
        reset_signals(status);
    }
    auto step = [&](Result<void> result, const char* what) {
        if (!result.ok()) fail_child(a.sync_fd, std::move(result).error().context(what));
    };
    // No process inside may open this one's /proc/PID/exe (the hako binary) before execve.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char go[32] = {};
    // "G<pid>": go on (EOF: the parent died). A forked init is in its cgroup by
    // then; one sharing memory is moved in meanwhile, before start() lets it exec.
    if (::read(a.sync_fd, go, sizeof go - 1) < 1) _exit(1);
    if (a.shared_memory) {
        status = own_status();
        reset_signals(status);
    }
    const pid_t host_pid = static_cast<pid_t>(std::atol(go + 1));
    if (a.task_files) {
        if (int failed = Cgroup::join_opened(*a.task_files, 0); failed >= 0) {
            int saved = errno;
            fail_child(a.sync_fd, Error::from_syscall("write", saved, (a.cgroup->directories()[failed] / "tasks").string()));
        }
    }
    if (a.plan.new_cgroup && unshare(CLONE_NEWCGROUP) != 0)
        fail_child(a.sync_fd, Error::from_syscall("unshare", errno, "cgroup namespace"));
    step(join_namespaces(a.plan.joins), "joining namespaces");
    step(attach_stdio(a.terminal_fd, a.stdio), "stdio");
    const Spec& spec = *a.spec;
    if (!spec.hostname.empty() && sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
        fail_child(a.sync_fd, Error::from_syscall("sethostname", errno, spec.hostname));
    if (!spec.domainname.empty() && setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
        fail_child(a.sync_fd, Error::from_syscall("setdomainname", errno, spec.domainname));
    umask(0);
    // The terminal was opened in the creator's mount namespace, and a mount from
    // another namespace cannot be bind-mounted (EINVAL): open it again by its
    // /dev/pts path here, through this namespace's copy of the same devpts.
    int console_fd = a.terminal_fd;
    sys::UniqueFd console_owner;
    if (console_fd >= 0) {
        char name[128] = {};
        std::string link = "/proc/self/fd/" + std::to_string(console_fd);
        ssize_t n = ::readlink(link.c_str(), name, sizeof name - 1);
        if (n > 0) console_owner.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (console_owner) console_fd = console_owner.get();
    }
    step(prepare_rootfs(spec, a.rootfs, console_fd), "preparing rootfs");
    if (has_create_hooks(spec.hooks)) {
        // prestart and createRuntime run in the parent (the runtime's namespaces),
        // then createContainer here: in the container's namespaces, before pivot_root.
        send_message(a.sync_fd, "HOOKS");
        char reply = 0;
        if (::read(a.sync_fd, &reply, 1) != 1 || reply != 'G') _exit(1);
        auto state = hook_state(spec, a.id, a.bundle, host_pid, "creating");
        if (auto ran = run_hooks(spec.hooks, HookPhase::CreateContainer, state); !ran.ok())
            fail_child(a.sync_fd, ran.error());
    }
    step(pivot_to(a.rootfs), "pivot_root");
    step(finalize_rootfs(spec), "finishing rootfs");
    if (chdir(spec.process.cwd.c_str()) != 0)
        fail_child(a.sync_fd, Error::from_syscall("chdir", errno, spec.process.cwd));
    step(apply_rlimits(spec.process.rlimits), "rlimits");
    step(apply_identity(spec.process, a.seccomp, status), "process identity");
    // The creator may exit now (runc-like create), unless it asked the init to die
    // with it; set again here because a change of uid above clears it.
    prctl(PR_SET_PDEATHSIG, a.die_with_creator ? SIGKILL : 0, 0, 0, 0);
    // Whatever allocates is done before "OK": a creator sharing this memory goes on from there.
    // `a` lives in the creator's stack frame, gone once it has "OK": what comes
    // after uses locals only.
    const int sync_fd = a.sync_fd;
    const bool socket_start = a.fifo_fd < 0;
    std::string fifo = socket_start ? std::string() : fd_path(a.fifo_fd);
    std::optional<PreparedExec> prepared;
    if (a.shared_memory) prepared = prepare_exec(spec.process);
    if (::send(sync_fd, "OK", 2, MSG_NOSIGNAL) != 2) _exit(1);
    if (socket_start) {
        // Parked until start() sends "S" (EOF: the creator is gone).
        char word = 0;
        if (::read(sync_fd, &word, 1) != 1 || word != 'S') _exit(1);
        if (prepared) exec_prepared(*prepared);
        auto hooks =
            run_hooks(spec.hooks, HookPhase::StartContainer, hook_state(spec, a.id, a.bundle, host_pid, "created"));
        std::string reply = hooks.ok() ? "0" : "E" + hooks.error().message.substr(0, 4000);
        if (::send(sync_fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0 || !hooks.ok()) _exit(1);
        exec_process(spec.process);
    }
    // Parked until start() opens the fifo for reading.
    int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) _exit(1);
    if (prepared) {  // no startContainer hook (see create())
        if (::write(fd, "0", 1) != 1) _exit(1);
        ::close(fd);
        exec_prepared(*prepared);
    }
    // startContainer hooks: in the container, just before the user's process; a
    // failure goes to start() through the fifo ("E<message>"), "0" means go.
    auto hooks = run_hooks(spec.hooks, HookPhase::StartContainer, hook_state(spec, a.id, a.bundle, host_pid, "created"));
    std::string word = hooks.ok() ? "0" : "E" + hooks.error().message.substr(0, 4000);
    if (::write(fd, word.data(), word.size()) != static_cast<ssize_t>(word.size()) || !hooks.ok()) _exit(1);
    ::close(fd);
    exec_process(spec.process);
}

// No leading dot: the state root's hidden names (.seccomp, .ID.fifo) are the runtime's own.
bool valid_id(const std::string& id) {
    if (id.empty() || id[0] == '.' || id.size() > 1024) return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

// Where compiled seccomp programs of containers under `state_root` are kept: a
// hidden folder beside the containers' state folders (a listing of the state root
// shows containers only).
fs::path seccomp_cache_dir(const fs::path& state_root) { return state_root / ".seccomp"; }

// The spec's profile compiled in the runtime's process, so the container's init
// (already in its rootfs, where no cache is reachable) only loads it.
Result<std::optional<SeccompProgram>> compile_profile(const Spec& spec, const fs::path& state_root) {
    if (!spec.linux_spec.seccomp) return std::optional<SeccompProgram>{};
    if (state_root.empty()) return std::optional<SeccompProgram>{TRY(compile_seccomp(*spec.linux_spec.seccomp))};
    return std::optional<SeccompProgram>{
        TRY(compile_seccomp_cached(*spec.linux_spec.seccomp, seccomp_cache_dir(state_root)))};
}

void reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

InitStack::InitStack(InitStack&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}

InitStack& InitStack::operator=(InitStack&& other) noexcept {
    if (this != &other) {
        base_ = std::exchange(other.base_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

Result<InitStack> InitStack::map(size_t mapped) {
    constexpr size_t kSize = 8 << 20, kGuard = 4096;
    void* mapping = ::mmap(nullptr, kSize + kGuard, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED) return Error::from_syscall("mmap", errno, "init stack");
    if (::mprotect(mapping, kGuard, PROT_NONE) != 0) {
        int saved = errno;
        ::munmap(mapping, kSize + kGuard);
        return Error::from_syscall("mprotect", saved, "init stack");
    }
    InitStack stack;
    stack.base_ = mapping;
    stack.size_ = kSize + kGuard;
    sys::prefault_stack_top(stack.top(), mapped);
    return stack;
}

void InitStack::unmap() {
    if (base_) ::munmap(base_, size_);
    base_ = nullptr;
    size_ = 0;
}

int exit_status_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

namespace {

// The canonical path of a folder: the kernel's name for it once opened (three
// calls, where fs::canonical reads every component's link), or fs::canonical's
// answer where /proc cannot say.
Result<fs::path> canonical_dir(const fs::path& path, const std::string& name) {
    sys::UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) return Error::from_syscall("rootfs", errno, name);
    char target[PATH_MAX];
    ssize_t n = ::readlink(fd_path(fd.get()).c_str(), target, sizeof target);
    if (n > 0 && size_t(n) < sizeof target && target[0] == '/') return fs::path(std::string(target, size_t(n)));
    std::error_code ec;
    fs::path canonical = fs::canonical(path, ec);
    if (ec) return Error::from_syscall("rootfs", ec.value(), name);
    return canonical;
}

}  // namespace

Result<Container> create(const Spec& spec, const fs::path& bundle, const CreateOptions& options) {
    if (!valid_id(options.id)) return Error::usage("invalid container id \"" + options.id + "\"");
    auto plan = TRY(plan_namespaces(spec));
    std::error_code ec;
    fs::path bundle_dir = fs::absolute(bundle, ec);
    fs::path rootfs = fs::path(spec.root.path).is_absolute() ? fs::path(spec.root.path) : bundle_dir / spec.root.path;
    rootfs = TRY(canonical_dir(rootfs, spec.root.path));

    Container c;
    c.spec = spec;
    c.dir = options.state_root / options.id;
    fs::create_directories(options.state_root, ec);
    // The record's file, reserved (read as "being created") and written once the
    // init is in its cgroup; a leftover folder of the old layout is EEXIST too.
    auto reserved = reserve_state_file(c.dir);
    if (!reserved.ok()) {
        if (reserved.error().errno_value == EEXIST) return Error("container " + options.id + " already exists");
        return std::move(reserved).error();
    }
    sys::UniqueFd state_file = std::move(reserved).value();
    const bool fifo_start = !options.die_with_creator;
    const fs::path fifo = exec_fifo_path(c.dir);
    bool created_cgroup = false;
    auto cleanup = [&](Error error) -> Error {
        if (created_cgroup) (void)c.cgroup.destroy();
        if (fifo_start) ::unlink(fifo.c_str());
        (void)release_state_file(c.dir);
        return error;
    };

    std::string cgroup_path = options.cgroup_path;
    if (cgroup_path.empty()) cgroup_path = spec.linux_spec.cgroups_path;
    if (cgroup_path.empty()) cgroup_path = "/hako/" + options.id;
    auto cgroup = Cgroup::create(cgroup_path, spec.linux_spec.resources);
    if (!cgroup.ok()) return cleanup(std::move(cgroup).error());
    c.cgroup = std::move(cgroup).value();
    created_cgroup = true;

    sys::UniqueFd fifo_owner;
    if (fifo_start) {
        // 0622 whatever the umask: an init that switched to another user still opens it.
        if (mkfifo(fifo.c_str(), 0622) != 0 || ::chmod(fifo.c_str(), 0622) != 0)
            return cleanup(Error::from_syscall("mkfifo", errno, fifo.string()));
        fifo_owner.reset(::open(fifo.c_str(), O_PATH | O_CLOEXEC));
        if (!fifo_owner) return cleanup(Error::from_syscall("open", errno, fifo.string()));
    }
    int fifo_fd = fifo_start ? fifo_owner.get() : -1;
    Pty pty;
    if (spec.process.terminal) {
        auto opened = open_pty();
        if (!opened.ok()) return cleanup(std::move(opened).error());
        pty = std::move(opened).value();
    }
    auto seccomp = compile_profile(spec, options.state_root);
    if (!seccomp.ok()) return cleanup(std::move(seccomp).error().context("seccomp"));
    auto sockets = socket_pair();
    if (!sockets.ok()) return cleanup(std::move(sockets).error());
    bool shared_memory = !has_init_hooks(spec.hooks);
    // An init sharing this memory in the cgroup v1 hierarchies moves itself in
    // through their `tasks` files (Cgroup::open_task_files: no RCU grace period).
    std::vector<sys::UniqueFd> task_files;
    if (shared_memory && !plan.new_cgroup) {
        auto opened = c.cgroup.open_task_files();
        if (!opened.ok()) return cleanup(std::move(opened).error());
        task_files = std::move(opened).value();
    }
    auto procs_files = task_files.empty() ? c.cgroup.open_procs_files() : Result<std::vector<sys::UniqueFd>>(std::vector<sys::UniqueFd>{});
    if (!procs_files.ok()) return cleanup(std::move(procs_files).error());
    auto [parent_end, child_end] = std::move(sockets).value();

    (void)last_capability();  // read here once, inherited by every child
    // An init that runs no OCI hook shares this process's memory until its execve
    // (CLONE_VM, as posix_spawn does) on a stack of its own: the clone copies no
    // page table, and neither side takes a copy-on-write fault for each page it
    // writes (some hundred per container; in a VM a fault costs 10-30 µs). The
    // init allocates only while this process waits for its next message (G, then
    // OK or ERR) and touches no heap after "OK". Its PR_SET_DUMPABLE 0 is the
    // shared memory's, so it covers this process too until it execs.
    InitArguments arguments{&spec,         rootfs,     plan,       child_end.get(), fifo_fd,
                            pty.slave.valid() ? pty.slave.get() : -1, options.stdio, options.id, bundle_dir,
                            *seccomp ? &**seccomp : nullptr, options.die_with_creator, shared_memory,
                            task_files.empty() ? nullptr : &task_files, &c.cgroup};
    pid_t pid = -1;
    // Shared memory: the init is let go ("G") at once; on cgroup v1 it moves itself
    // into the cgroup through the `tasks` files opened above, otherwise it sets up
    // its rootfs while this process moves it in, writing only (a write to
    // cgroup.procs may wait a whole RCU grace period, 3-12 ms here, for the kernel's
    // threadgroup lock). Nothing here allocates until the init's "OK": the
    // cgroup files were opened before the clone, the message is on the stack,
    // and a failure kills and reaps the init before its error is built. The init
    // cannot exec before start(), which comes after the joins.
    int join_failed = -1, join_errno = 0;
    bool init_gone = false;
    if (shared_memory) {
        auto stack = InitStack::map(32 << 10);  // the init's set-up runs ~7 pages deep
        if (!stack.ok()) return cleanup(std::move(stack).error());
        c.init_stack = std::move(*stack);
        // Blocked across the clone: a signal must not run this process's handler
        // in the init (on this memory) before the init has reset its dispositions.
        sigset_t all, previous;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &previous);
        pid = ::clone(
            [](void* argument) -> int { run_init(*static_cast<const InitArguments*>(argument)); },
            c.init_stack.top(), plan.clone_flags | CLONE_VM | SIGCHLD, &arguments);
        int clone_errno = errno;
        if (pid > 0) {
            char go[24] = {'G'};
            auto [end, error] = std::to_chars(go + 1, go + sizeof go, pid);
            (void)error;  // a pid always fits
            const auto length = static_cast<size_t>(end - go);
            auto send_go = [&] { return ::send(parent_end.get(), go, length, MSG_NOSIGNAL) == static_cast<ssize_t>(length); };
            // A new cgroup namespace is rooted where the init is when it unshares: then it goes on only once joined.
            const bool go_first = !plan.new_cgroup;
            if (go_first && !send_go()) {
                join_failed = static_cast<int>(procs_files->size());  // names the sync socket below
                join_errno = errno;
            } else {
                join_failed = Cgroup::join_opened(*procs_files, pid);
                join_errno = errno;
                if (join_failed < 0 && !go_first && !send_go()) {
                    join_failed = static_cast<int>(procs_files->size());
                    join_errno = errno;
                }
            }
            // ESRCH: the init failed and exited already; its message says why.
            if (join_failed >= 0 && join_failed < static_cast<int>(procs_files->size()) && join_errno == ESRCH)
                join_failed = -1;
            if (join_failed >= 0) {
                ::kill(pid, SIGKILL);
                reap(pid);
                init_gone = true;
            }
        }
        sigprocmask(SIG_SETMASK, &previous, nullptr);
        errno = clone_errno;
    } else {
        pid = static_cast<pid_t>(syscall(SYS_clone, plan.clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
        if (pid == 0) {
            parent_end.reset();
            run_init(arguments);
        }
    }
    if (pid < 0) return cleanup(Error::from_syscall("clone", errno, options.id));
    child_end.reset();
    pty.slave.reset();

    auto fail = [&](Error error) -> Error {
        if (!init_gone) {
            ::kill(pid, SIGKILL);
            reap(pid);
        }
        c.init_stack.unmap();
        error = cleanup(std::move(error));
        // The spec's lifecycle: a failed create is destroyed, then poststop runs.
        run_hooks_warning(spec.hooks, HookPhase::Poststop, hook_state(spec, options.id, bundle_dir, pid, "stopped"));
        return error;
    };
    if (join_failed >= 0) {
        if (static_cast<size_t>(join_failed) == procs_files->size())
            return fail(Error::from_syscall("write", join_errno, "sync socket"));
        return fail(Error::from_syscall("write", join_errno,
                                        (c.cgroup.directories()[join_failed] / "cgroup.procs").string()));
    }
    auto write_record = [&]() -> Result<void> {
        c.state.id = options.id;
        c.state.pid = pid;
        c.state.pid_start_time = process_start_time(pid);
        c.state.bundle = bundle_dir;
        c.state.cgroup_path = cgroup_path;
        c.state.created = sys::now_rfc3339();
        c.state.annotations = spec.annotations;
        c.state.has_hooks = !spec.hooks.empty();
        TRY(write_state(state_file.get(), c.dir, c.state));
        state_file.reset();
        return ok();
    };
    if (!shared_memory) {
        // A forked init has memory of its own: it waits for "G" while the
        // creator joins it to the cgroup and writes the record.
        if (Cgroup::join_opened(*procs_files, pid) >= 0) {
            int saved = errno;
            return fail(Error::from_syscall("write", saved, "cgroup.procs of " + cgroup_path));
        }
        if (auto written = write_record(); !written.ok()) return fail(std::move(written).error());
        std::string go = "G" + std::to_string(pid);
        if (::send(parent_end.get(), go.data(), go.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(go.size()))
            return fail(Error::from_syscall("write", errno, "sync socket"));
    }
    auto reply = receive_message(parent_end.get());
    if (!reply.ok()) return fail(std::move(reply).error());
    if (*reply == "HOOKS") {
        auto state = hook_state(spec, options.id, bundle_dir, pid, "creating");
        for (auto phase : {HookPhase::Prestart, HookPhase::CreateRuntime})
            if (auto ran = run_hooks(spec.hooks, phase, state); !ran.ok()) return fail(std::move(ran).error());
        if (::send(parent_end.get(), "G", 1, MSG_NOSIGNAL) != 1)
            return fail(Error::from_syscall("write", errno, "sync socket"));
        reply = receive_message(parent_end.get());
        if (!reply.ok()) return fail(std::move(reply).error());
    }
    if (*reply != "OK") {
        if (reply->starts_with("ERR:")) return fail(Error("container init: " + reply->substr(4)));
        return fail(Error("container init exited during setup"));
    }
    if (shared_memory) {
        if (auto written = write_record(); !written.ok()) return fail(std::move(written).error());
    }

    c.pty_master = std::move(pty.master);
    if (!fifo_start) c.start_socket = std::move(parent_end);
    return c;
}

namespace {

// start() of an init parked on its sync socket: "S", then, when startContainer
// hooks run in it, their verdict ("0" or "E<message>"; EOF: it died).
Result<void> start_over_socket(Container& c) {
    sys::UniqueFd socket = std::move(c.start_socket);
    if (::send(socket.get(), "S", 1, MSG_NOSIGNAL) != 1)
        return Error("container " + c.state.id + ": init exited before start");
    if (c.spec.hooks.start_container.empty()) return ok();
    auto word = TRY(receive_message(socket.get()));
    if (word.empty()) return Error("container " + c.state.id + ": init exited before start");
    if (word.starts_with("E")) return Error("container " + c.state.id + ": " + word.substr(1));
    return ok();
}

}  // namespace

Result<void> start(Container& c) {
    using namespace std::chrono;
    if (c.start_socket) {
        TRY(start_over_socket(c));
        run_hooks_warning(c.spec.hooks, HookPhase::Poststart,
                          hook_state(c.spec, c.state.id, c.state.bundle, c.state.pid, "running"));
        return ok();
    }
    fs::path fifo = exec_fifo_path(c.dir);
    int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return Error("container " + c.state.id + " is not in the created state");
        return Error::from_syscall("open", errno, fifo.string());
    }
    sys::UniqueFd reader(fd);
    auto deadline = steady_clock::now() + seconds(30 + hooks_time_limit(c.spec.hooks, HookPhase::StartContainer));
    std::string word;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int ready = ::poll(&p, 1, 20);
        if (ready < 0 && errno != EINTR) return Error::from_syscall("poll", errno, fifo.string());
        if (ready > 0 && (p.revents & POLLIN)) {
            char buffer[4096];
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n > 0) word.assign(buffer, static_cast<size_t>(n));
            if (n > 0) break;
        }
        if (!init_alive(c.state)) return Error("container " + c.state.id + ": init exited before start");
        if (steady_clock::now() > deadline) return Error("container " + c.state.id + ": init did not answer start");
    }
    ::unlink(fifo.c_str());
    if (word.starts_with("E")) return Error("container " + c.state.id + ": " + word.substr(1));
    run_hooks_warning(c.spec.hooks, HookPhase::Poststart,
                      hook_state(c.spec, c.state.id, c.state.bundle, c.state.pid, "running"));
    return ok();
}

Result<void> kill(const Container& c, int signal) {
    if (!init_alive(c.state)) return Error("container " + c.state.id + " is not running");
    if (::kill(c.state.pid, signal) != 0) return Error::from_syscall("kill", errno, std::to_string(c.state.pid));
    return ok();
}

Status status(const Container& c) {
    if (c.start_socket && init_alive(c.state)) return Status::Created;
    return observe_status(c.state, c.dir);
}

Result<bool> oom_killed(const Container& c) { return c.cgroup.oom_killed(); }

Result<void> destroy(Container& c) {
    bool reaped = false;
    if (init_alive(c.state)) {
        ::kill(c.state.pid, SIGKILL);
        int wait_status = 0;
        // Reap it when it is our child; a zombie keeps a v2 cgroup busy.
        pid_t waited;
        while ((waited = waitpid(c.state.pid, &wait_status, 0)) < 0 && errno == EINTR) {
        }
        reaped = waited == c.state.pid;
    } else {
        int wait_status = 0;
        reaped = waitpid(c.state.pid, &wait_status, WNOHANG) == c.state.pid;
    }
    if (reaped) c.init_stack.unmap();
    c.start_socket.reset();
    TRY(c.cgroup.destroy());
    if (::unlink(exec_fifo_path(c.dir).c_str()) != 0 && errno != ENOENT)
        return Error::from_syscall("unlink", errno, exec_fifo_path(c.dir).string());
    // The record's file (kept as the next create's spare), or a folder of the layout before session 6.
    TRY(release_state_file(c.dir));
    run_hooks_warning(c.spec.hooks, HookPhase::Poststop,
                      hook_state(c.spec, c.state.id, c.state.bundle, c.state.pid, "stopped"));
    return ok();
}

namespace {

Result<Container> load(const fs::path& state_root, const std::string& id, bool whole_spec) {
    if (!valid_id(id)) return Error::usage("invalid container id \"" + id + "\"");
    Container c;
    c.dir = state_root / id;
    auto state = read_state(c.dir);
    if (!state.ok()) {
        if (state.error().errno_value == ENOENT) return Error("container " + id + " does not exist");
        return std::move(state).error();
    }
    c.state = std::move(state).value();
    // destroy reads only the hooks: a spec of ~300 seccomp names is not parsed for nothing.
    if (whole_spec || c.state.has_hooks) c.spec = TRY(load_bundle_spec(c.state.bundle));
    c.cgroup = TRY(Cgroup::open(c.state.cgroup_path));
    return c;
}

}  // namespace

Result<Container> load(const fs::path& state_root, const std::string& id) { return load(state_root, id, true); }

Result<Container> load_for_teardown(const fs::path& state_root, const std::string& id) {
    return load(state_root, id, false);
}

Result<Container> adopt(const std::string& id, pid_t pid, const Spec& spec, const std::string& cgroup_path) {
    if (pid <= 0) return Error("container " + id + " is not running");
    Container c;
    c.state.id = id;
    c.state.pid = pid;
    c.state.pid_start_time = process_start_time(pid);
    if (c.state.pid_start_time == 0) return Error("container " + id + " is not running");
    c.state.cgroup_path = cgroup_path;
    c.spec = spec;
    c.cgroup = TRY(Cgroup::open(cgroup_path));
    return c;
}

Result<ExecResult> exec(const Container& c, const Process& process, const Stdio& stdio) {
    if (process.args.empty()) return Error::usage("exec: no command given");
    if (!init_alive(c.state)) return Error("container " + c.state.id + " is not running");
    auto namespaces = TRY(open_namespaces_of(c.state.pid));
    auto seccomp = TRY(compile_profile(c.spec, c.dir.empty() ? fs::path() : c.dir.parent_path()));
    auto [parent_end, child_end] = TRY(socket_pair());
    Pty pty;
    if (process.terminal) pty = TRY(open_pty());

    (void)last_capability();
    pid_t helper = fork();
    if (helper < 0) return Error::from_syscall("fork", errno);
    if (helper == 0) {
        parent_end.reset();
        int sync_fd = child_end.get();
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (auto joined = c.cgroup.add_process(0); !joined.ok()) fail_child(sync_fd, joined.error());
        if (auto entered = enter_namespaces(namespaces); !entered.ok()) fail_child(sync_fd, entered.error());
        // setns into a pid namespace applies to children: the process itself is
        // cloned as a sibling (CLONE_PARENT), so the caller stays its parent.
        pid_t pid = static_cast<pid_t>(syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
        if (pid < 0) fail_child(sync_fd, Error::from_syscall("clone", errno));
        if (pid > 0) {
            send_message(sync_fd, "PID:" + std::to_string(pid));
            _exit(0);
        }
        const auto status = own_status();
        reset_signals(status);
        auto step = [&](Result<void> result, const char* what) {
            if (!result.ok()) fail_child(sync_fd, std::move(result).error().context(what));
        };
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        step(attach_stdio(pty.slave.valid() ? pty.slave.get() : -1, stdio), "stdio");
        if (chdir(process.cwd.c_str()) != 0) fail_child(sync_fd, Error::from_syscall("chdir", errno, process.cwd));
        step(apply_rlimits(process.rlimits), "rlimits");
        step(apply_identity(process, seccomp ? &*seccomp : nullptr, status), "process identity");
        exec_process(process);  // the sync socket closes on exec: EOF means success
    }
    child_end.reset();
    pty.slave.reset();
    int helper_status = 0;
    while (waitpid(helper, &helper_status, 0) < 0 && errno == EINTR) {
    }
    auto first = TRY(receive_message(parent_end.get()));
    if (!first.starts_with("PID:")) {
        if (first.starts_with("ERR:")) return Error("exec: " + first.substr(4));
        return Error("exec: setup process died");
    }
    ExecResult result;
    result.pid = static_cast<pid_t>(std::stol(first.substr(4)));
    auto second = TRY(receive_message(parent_end.get()));
    if (!second.empty()) {
        reap(result.pid);
        if (second.starts_with("ERR:")) return Error("exec: " + second.substr(4));
        return Error("exec: " + second);
    }
    result.pty_master = std::move(pty.master);
    return result;
}

}  // namespace hako::runtime
