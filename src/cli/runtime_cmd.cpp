// `hako runtime …`: the built-in OCI runtime driven like runc (spec, create,
// start, run, state, kill, delete, exec), for tests and the differential test with runc.
#include <signal.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "engine/runtime/linux_container.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/file.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {
namespace {

namespace fs = std::filesystem;
namespace rt = hako::runtime;

constexpr const char* kDefaultStateDir = "/run/hako/runtime";

void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

// docker's RAMInBytes: "64m", "1g", "512k", "1024" (binary units).
Result<int64_t> parse_bytes(const std::string& text) {
    size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (...) {
        return Error::usage("invalid size: \"" + text + "\"");
    }
    std::string unit = text.substr(used);
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
    static const std::map<std::string, int64_t> units = {{"", 1},           {"b", 1},
                                                          {"k", 1LL << 10}, {"m", 1LL << 20},
                                                          {"g", 1LL << 30}, {"t", 1LL << 40}};
    auto it = units.find(unit);
    if (it == units.end() || value < 0) return Error::usage("invalid size: \"" + text + "\"");
    return static_cast<int64_t>(value * static_cast<double>(it->second));
}

Result<int> parse_signal(std::string name) {
    static const std::map<std::string, int> signals = {
        {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
        {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH}};
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
        try {
            return std::stoi(name);
        } catch (...) {
        }
    }
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("SIG")) name = name.substr(3);
    auto it = signals.find(name);
    if (it == signals.end()) return Error::usage("invalid signal: " + name);
    return it->second;
}

struct Common {
    std::string state_dir = kDefaultStateDir;
};

struct SpecFlags {
    rt::ContainerConfig config;
    std::string rootfs_for_users;  // resolve --user in this folder
    std::string memory, memory_swap, shm_size, network = "new";
    std::vector<std::string> rlimits;  // NOFILE=1024:2048
};

Result<void> write_pid_file(const std::string& file, pid_t pid) {
    if (file.empty()) return ok();
    return sys::write_file_atomic(file, std::to_string(pid), 0644);
}

Result<rt::Container> create_from_bundle(const Common& common, const std::string& id, const std::string& bundle) {
    auto spec = TRY(rt::load_bundle_spec(bundle));
    rt::CreateOptions options;
    options.id = id;
    options.state_root = common.state_dir;
    return rt::create(spec, bundle, options);
}

void add_spec(CLI::App& runtime, Context& ctx, std::shared_ptr<Common>) {
    auto f = std::make_shared<SpecFlags>();
    auto* cmd = runtime.add_subcommand("spec", "Print a config.json with Docker's defaults for ARGS");
    auto& c = f->config;
    cmd->add_option("--rootfs", c.rootfs, "root.path of the spec (default: rootfs)");
    cmd->add_option("--resolve-in", f->rootfs_for_users, "Resolve --user in this rootfs folder's /etc/passwd");
    cmd->add_option("-e,--env", c.env, "KEY=VALUE");
    cmd->add_option("-w,--cwd", c.cwd, "Working directory");
    cmd->add_option("-u,--user", c.user, "name[:group] or uid[:gid]");
    cmd->add_option("--group-add", c.group_add, "Extra groups");
    cmd->add_option("--hostname", c.hostname, "Hostname");
    cmd->add_flag("-t,--tty", c.tty, "Allocate a terminal");
    cmd->add_flag("--read-only", c.read_only, "Read-only root filesystem");
    cmd->add_flag("--privileged", c.privileged, "All capabilities, no seccomp, no masked paths");
    cmd->add_flag("--no-new-privileges", c.no_new_privileges, "Set no_new_privs");
    cmd->add_flag("--seccomp-unconfined", c.seccomp_unconfined, "No seccomp filter");
    cmd->add_option("--cap-add", c.cap_add, "Add a capability (or ALL)");
    cmd->add_option("--cap-drop", c.cap_drop, "Drop a capability (or ALL)");
    cmd->add_option("-m,--memory", f->memory, "Memory limit (64m, 1g…)");
    cmd->add_option("--memory-swap", f->memory_swap, "Memory plus swap limit, -1 for unlimited");
    cmd->add_option("--cpus", c.cpus, "CPU quota in CPUs");
    cmd->add_option("--pids-limit", c.pids_limit, "Process limit");
    cmd->add_option("--shm-size", f->shm_size, "Size of /dev/shm");
    cmd->add_option("--ulimit", f->rlimits, "NAME=SOFT[:HARD], e.g. nofile=1024:2048");
    cmd->add_option("--sysctl", c.sysctls, "KEY=VALUE")->delimiter(',');
    cmd->add_option("--network", f->network, "new, none, host or a netns path");
    cmd->add_option("--cgroup-path", c.cgroups_path, "cgroupsPath");
    cmd->add_option("args", c.args, "Command and arguments")->required();
    cmd->callback([&ctx, f] {
        auto& c = f->config;
        auto run = [&]() -> Result<void> {
            if (!f->memory.empty()) c.memory = TRY(parse_bytes(f->memory));
            if (f->memory_swap == "-1") c.memory_swap = -1;
            else if (!f->memory_swap.empty()) c.memory_swap = TRY(parse_bytes(f->memory_swap));
            if (!f->shm_size.empty()) c.shm_size = TRY(parse_bytes(f->shm_size));
            if (f->network == "new") c.network = rt::NetworkMode::New;
            else if (f->network == "none") c.network = rt::NetworkMode::None;
            else if (f->network == "host") c.network = rt::NetworkMode::Host;
            else {
                c.network = rt::NetworkMode::Path;
                c.network_path = f->network;
            }
            for (const auto& text : f->rlimits) {
                auto eq = text.find('=');
                if (eq == std::string::npos) return Error::usage("invalid --ulimit " + text);
                std::string name = "RLIMIT_";
                for (char ch : text.substr(0, eq)) name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                std::string values = text.substr(eq + 1);
                auto colon = values.find(':');
                try {
                    uint64_t soft = std::stoull(values.substr(0, colon));
                    uint64_t hard = colon == std::string::npos ? soft : std::stoull(values.substr(colon + 1));
                    c.rlimits.push_back({name, hard, soft});
                } catch (...) {
                    return Error::usage("invalid --ulimit " + text);
                }
            }
            rt::Spec spec;
            if (!f->rootfs_for_users.empty()) spec = TRY(rt::build_spec(c, fs::path(f->rootfs_for_users)));
            else spec = TRY(rt::build_spec(c, TRY(rt::resolve_user(c.user, "", "", c.group_add))));
            std::cout << rt::to_json(spec);
            return ok();
        };
        ctx.exit_status = report(run());
    });
}

}  // namespace

void add_runtime_commands(CLI::App& app, Context& ctx) {
    auto common = std::make_shared<Common>();
    auto* runtime = app.add_subcommand("runtime", "The built-in OCI runtime, driven like runc");
    runtime->add_option("--state-dir", common->state_dir, "Where container state lives")
        ->capture_default_str();
    runtime->require_subcommand(1);
    add_spec(*runtime, ctx, common);

    struct IdFlags {
        std::string id, bundle = ".", pid_file, signal = "TERM";
        bool force = false;
    };
    auto f = std::make_shared<IdFlags>();

    auto* create = runtime->add_subcommand("create", "Create a container; its init waits for start");
    create->add_option("id", f->id)->required();
    create->add_option("-b,--bundle", f->bundle, "Bundle folder (holds config.json)");
    create->add_option("--pid-file", f->pid_file, "Write the init's pid here");
    create->callback([&ctx, common, f] {
        auto run = [&]() -> Result<void> {
            auto c = TRY(create_from_bundle(*common, f->id, f->bundle));
            return write_pid_file(f->pid_file, c.pid());
        };
        ctx.exit_status = report(run());
    });

    auto* start = runtime->add_subcommand("start", "Start a created container");
    start->add_option("id", f->id)->required();
    start->callback([&ctx, common, f] {
        auto run = [&]() -> Result<void> {
            auto c = TRY(rt::load(common->state_dir, f->id));
            return rt::start(c);
        };
        ctx.exit_status = report(run());
    });

    auto* run_cmd = runtime->add_subcommand("run", "Create, start and wait for a container, then delete it");
    run_cmd->add_option("id", f->id)->required();
    run_cmd->add_option("-b,--bundle", f->bundle, "Bundle folder (holds config.json)");
    run_cmd->add_option("--pid-file", f->pid_file, "Write the init's pid here");
    run_cmd->callback([&ctx, common, f] {
        auto created = create_from_bundle(*common, f->id, f->bundle);
        if (!created.ok()) return fail(ctx, std::move(created).error());
        auto& c = created.value();
        auto started = write_pid_file(f->pid_file, c.pid());
        if (started.ok()) started = rt::start(c);
        if (!started.ok()) {
            (void)rt::destroy(c);
            return fail(ctx, std::move(started).error());
        }
        int wait_status = 0;
        while (waitpid(c.pid(), &wait_status, 0) < 0 && errno == EINTR) {
        }
        auto oom = rt::oom_killed(c);
        if (oom.ok() && *oom) std::fprintf(stderr, "hako: container %s was OOM-killed\n", f->id.c_str());
        auto destroyed = rt::destroy(c);
        if (!destroyed.ok()) report(destroyed);
        ctx.exit_status = rt::exit_status_of(wait_status);
    });

    auto* state = runtime->add_subcommand("state", "Print a container's OCI state");
    state->add_option("id", f->id)->required();
    state->callback([&ctx, common, f] {
        auto run = [&]() -> Result<void> {
            auto c = TRY(rt::load(common->state_dir, f->id));
            std::cout << rt::oci_state_json(c.state, rt::status(c));
            return ok();
        };
        ctx.exit_status = report(run());
    });

    auto* kill = runtime->add_subcommand("kill", "Send a signal to a container's init");
    kill->add_option("id", f->id)->required();
    kill->add_option("signal", f->signal, "Signal name or number (default TERM)");
    kill->callback([&ctx, common, f] {
        auto run = [&]() -> Result<void> {
            auto c = TRY(rt::load(common->state_dir, f->id));
            return rt::kill(c, TRY(parse_signal(f->signal)));
        };
        ctx.exit_status = report(run());
    });

    auto* del = runtime->add_subcommand("delete", "Delete a stopped (or, with --force, any) container");
    del->add_option("id", f->id)->required();
    del->add_flag("-f,--force", f->force, "Kill it first when it runs");
    del->callback([&ctx, common, f] {
        auto run = [&]() -> Result<void> {
            auto c = TRY(rt::load(common->state_dir, f->id));
            if (rt::status(c) == rt::Status::Running && !f->force)
                return Error("container " + f->id + " is running: stop it first or use --force");
            return rt::destroy(c);
        };
        ctx.exit_status = report(run());
    });

    struct ExecFlags {
        std::string id, cwd, user;
        std::vector<std::string> env, args;
        bool tty = false;
    };
    auto e = std::make_shared<ExecFlags>();
    auto* exec = runtime->add_subcommand("exec", "Run a process in a running container and wait for it");
    exec->add_option("id", e->id)->required();
    exec->add_option("--cwd", e->cwd, "Working directory (default: the container's)");
    exec->add_option("-e,--env", e->env, "Extra KEY=VALUE");
    exec->add_option("-u,--user", e->user, "uid[:gid]");
    exec->add_option("args", e->args, "Command and arguments")->required();
    exec->callback([&ctx, common, e] {
        auto c = rt::load(common->state_dir, e->id);
        if (!c.ok()) return fail(ctx, std::move(c).error());
        rt::Process process = c->spec.process;
        process.terminal = false;
        process.args = e->args;
        process.env.insert(process.env.end(), e->env.begin(), e->env.end());
        if (!e->cwd.empty()) process.cwd = e->cwd;
        if (!e->user.empty()) {
            auto user = rt::resolve_user(e->user, "", "");
            if (!user.ok()) return fail(ctx, std::move(user).error());
            process.user = {user->uid, user->gid, {}, process.user.umask};
            if (user->uid != 0) {  // as for a container's init: a non-root user holds no capability
                process.capabilities.effective.clear();
                process.capabilities.permitted.clear();
                process.capabilities.ambient.clear();
            }
        }
        auto started = rt::exec(*c, process, rt::Stdio{});
        if (!started.ok()) return fail(ctx, std::move(started).error());
        int wait_status = 0;
        while (waitpid(started->pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
        ctx.exit_status = rt::exit_status_of(wait_status);
    });
}

}  // namespace hako::cli
