// `hako container …`: run, create, start, stop, restart, kill, rm, ls, logs,
// inspect, wait, exec and attach, on the container store and its per-container monitors.
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string_view>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "engine/container/container_store.h"
#include "engine/container/lifecycle.h"
#include "engine/container/log_line.h"
#include "engine/container/options.h"
#include "engine/container/pause.h"
#include "engine/device/inspect.h"
#include "engine/image/image_store.h"
#include "engine/monitor/attach.h"
#include "engine/monitor/health.h"
#include "engine/monitor/log_writer.h"
#include "engine/store/state_root.h"
#include "src/cli/compose_ps_format.h"
#include "src/cli/context.h"
#include "src/cli/output.h"
#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

using container::ContainerRecord;
using container::ContainerState;
using container::ContainerStore;
using ojson = nlohmann::ordered_json;

Result<ContainerStore> open_store(const Context& ctx) {
    return ContainerStore::open(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root);
}

void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

// The flags run and create share, as typed.
struct CreateFlags {
    std::string name, workdir, user, entrypoint, hostname, memory, restart = "no";
    bool entrypoint_set = false;
    std::vector<std::string> env, env_files, cap_add, cap_drop, labels;
    std::string cpus;  // a decimal number of CPUs; parsed here so a bad value exits 125 as docker's does
    int64_t pids_limit = 0;
    bool privileged = false, read_only = false, remove = false, detach = false;
    std::string detach_keys = "ctrl-p,ctrl-q";
    std::string image;
    std::vector<std::string> args;
    std::vector<std::shared_ptr<ModuleRunFlags>> modules;  // network, volume and device flags
};

void add_create_flags(CLI::App* cmd, CreateFlags& f, bool for_run) {
    cmd->add_option("--name", f.name, "Assign a name to the container");
    if (for_run) {
        cmd->add_flag("-d,--detach", f.detach, "Run in the background and print the container ID");
        cmd->add_option("--detach-keys", f.detach_keys, "Key sequence that detaches from the container (ctrl-p,ctrl-q)");
    }
    cmd->add_flag("--rm", f.remove, "Remove the container when it exits");
    cmd->add_option("-e,--env", f.env, "Set environment variables (KEY=VALUE or KEY)")->allow_extra_args(false);
    cmd->add_option("--env-file", f.env_files, "Read environment variables from a file")->allow_extra_args(false);
    cmd->add_option("-w,--workdir", f.workdir, "Working directory inside the container");
    cmd->add_option("-u,--user", f.user, "name|uid[:group|gid]");
    cmd->add_option("--entrypoint", f.entrypoint, "Overwrite the image's ENTRYPOINT");
    cmd->add_option("--hostname", f.hostname, "Container host name");
    cmd->add_option("-m,--memory", f.memory, "Memory limit (e.g. 64m)");
    cmd->add_option("--cpus", f.cpus, "Number of CPUs");
    cmd->add_option("--pids-limit", f.pids_limit, "Tune the container's pids limit");
    cmd->add_option("--cap-add", f.cap_add, "Add Linux capabilities")->allow_extra_args(false);
    cmd->add_option("--cap-drop", f.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
    cmd->add_flag("--privileged", f.privileged, "Give extended privileges to this container");
    cmd->add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
    cmd->add_option("--restart", f.restart, "Restart policy: no, always, on-failure[:N], unless-stopped");
    f.modules = {add_network_run_flags(cmd), add_volume_run_flags(cmd), add_device_run_flags(cmd),
                 add_process_run_flags(cmd)};
    cmd->add_option("-l,--label", f.labels, "Set metadata KEY=VALUE")->allow_extra_args(false);
    cmd->add_option("IMAGE", f.image, "Image")->required();
    // Everything after IMAGE is the container's command, flags included (read from remaining()).
    // Without fallthrough, or CLI11 hands the command to the parent before the prefix rule.
    cmd->prefix_command();
    cmd->fallthrough(false);
}

std::string env_value(const Context& ctx, const std::string& entry) {
    if (entry.find('=') != std::string::npos) return entry;
    auto it = ctx.environment.find(entry);
    return it == ctx.environment.end() ? std::string() : entry + "=" + it->second;
}

Result<container::CreateRequest> make_request(const Context& ctx, const CreateFlags& f, bool entrypoint_set) {
    container::CreateRequest r;
    r.name = f.name;
    r.image = f.image;
    r.args = f.args;
    if (entrypoint_set) r.entrypoint = f.entrypoint;
    for (const auto& file : f.env_files) {
        std::ifstream in(file);
        if (!in) return Error("open " + file + ": no such file or directory", container::kRunFailure);
        for (std::string line; std::getline(in, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            size_t start = line.find_first_not_of(" \t");
            if (start == std::string::npos || line[start] == '#') continue;
            if (auto v = env_value(ctx, line.substr(start)); !v.empty()) r.env.push_back(v);
        }
    }
    for (const auto& e : f.env)
        if (auto v = env_value(ctx, e); !v.empty()) r.env.push_back(v);
    r.working_dir = f.workdir;
    r.user = f.user;
    r.hostname = f.hostname;
    for (const auto& label : f.labels) {
        size_t eq = label.find('=');
        r.labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
    }
    if (!f.memory.empty()) r.memory = TRY(container::parse_memory_size(f.memory));
    if (!f.cpus.empty()) {
        char* end = nullptr;
        errno = 0;
        double cpus = std::strtod(f.cpus.c_str(), &end);
        if (errno != 0 || end == f.cpus.c_str() || *end != '\0' || !(cpus >= 0) || cpus > 1e6)
            return Error("invalid argument \"" + f.cpus + "\" for \"--cpus\" flag: not a number of CPUs",
                         container::kRunFailure);
        r.nano_cpus = static_cast<int64_t>(cpus * 1e9);
    }
    r.pids_limit = f.pids_limit;
    r.restart = TRY(container::parse_restart_policy(f.restart));
    r.privileged = f.privileged;
    r.read_only = f.read_only;
    r.auto_remove = f.remove;
    r.cap_add = f.cap_add;
    r.cap_drop = f.cap_drop;
    for (const auto& module : f.modules) TRY(module->finish(ctx, r));
    return r;
}

time_t parse_time(const std::string& rfc3339) {
    struct tm tm {};
    if (!::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
    return ::timegm(&tm);
}

std::string status_text(const ContainerState& state) {
    long long now = ::time(nullptr);
    if (state.status == "running") return "Up " + human_duration(now - parse_time(state.started_at));
    if (state.status == "restarting")
        return "Restarting (" + std::to_string(state.exit_code) + ") " +
               human_duration(now - parse_time(state.finished_at)) + " ago";
    if (state.status == "exited")
        return "Exited (" + std::to_string(state.exit_code) + ") " +
               human_duration(now - parse_time(state.finished_at)) + " ago";
    return state.status == "created" ? "Created" : state.status;
}


ojson inspect_json(const ContainerStore& store, const ContainerRecord& r) {
    ContainerState s = store.observed_state(r.id);
    bool paused = s.status == "running" && container::is_paused(r);
    ojson state = {{"Status", paused ? std::string("paused") : s.status},
                   {"Running", s.status == "running"},
                   {"Paused", paused},
                   {"Restarting", s.status == "restarting"},
                   {"OOMKilled", s.oom_killed},
                   {"Dead", s.status == "dead"},
                   {"Pid", s.pid},
                   {"ExitCode", s.exit_code},
                   {"Error", s.error},
                   {"StartedAt", s.started_at},
                   {"FinishedAt", s.finished_at}};
    if (!s.health_status.empty()) state["Health"] = monitor::health_inspect_json(s);
    const auto& process = r.process.is_object() ? r.process : nlohmann::json::object();
    bool tty = process.value("tty", false), stdin_open = process.value("stdin_open", false);
    ojson config = {{"Hostname", r.hostname},
                    {"User", r.user},
                    {"Env", r.env},
                    {"Cmd", r.cmd.empty() ? ojson(nullptr) : ojson(r.cmd)},
                    {"Image", r.image},
                    {"WorkingDir", r.working_dir},
                    {"Entrypoint", r.entrypoint.empty() ? ojson(nullptr) : ojson(r.entrypoint)},
                    {"Labels", r.labels},
                    {"StopSignal", r.stop_signal},
                    {"StopTimeout", r.stop_timeout},
                    {"Tty", tty},
                    {"OpenStdin", stdin_open},
                    {"StdinOnce", false}};
    // docker's ExposedPorts: the image's EXPOSE, `expose` and every published port's target.
    std::set<std::string> exposed;
    if (auto images = image::ImageStore::open(store.root().path()); images.ok())
        if (auto image_config = images->config(r.image_id); image_config.ok())
            exposed = image_config->config.exposed_ports;
    if (r.networking.is_object()) {
        for (const auto& port : r.networking.value("expose", nlohmann::json::array()))
            if (port.is_string()) exposed.insert(port.get<std::string>().find('/') == std::string::npos
                                                     ? port.get<std::string>() + "/tcp"
                                                     : port.get<std::string>());
        for (const auto& port : r.networking.value("ports", nlohmann::json::array()))
            if (port.is_object() && port.contains("target"))
                exposed.insert(port["target"].dump() + "/" + port.value("protocol", std::string("tcp")));
    }
    if (!exposed.empty()) {
        ojson ports = ojson::object();
        for (const auto& port : exposed) ports[port] = ojson::object();
        config["ExposedPorts"] = ports;
    }
    if (r.health.is_object() && !r.health.empty()) {
        ojson check;
        for (const auto& [key, name] : std::vector<std::pair<std::string, std::string>>{
                 {"test", "Test"}, {"interval", "Interval"}, {"timeout", "Timeout"}, {"start_period", "StartPeriod"},
                 {"start_interval", "StartInterval"}, {"retries", "Retries"}})
            if (r.health.contains(key)) check[name] = r.health[key];
        if (r.health.value("disable", false)) check["Test"] = {"NONE"};
        config["Healthcheck"] = check;
    }
    ojson host = {{"Binds", r.binds},
                  {"NetworkMode", r.network},
                  {"RestartPolicy",
                   {{"Name", container::restart_mode_name(r.restart.mode)}, {"MaximumRetryCount", r.restart.max_retries}}},
                  {"AutoRemove", r.auto_remove},
                  {"CapAdd", r.cap_add.empty() ? ojson(nullptr) : ojson(r.cap_add)},
                  {"CapDrop", r.cap_drop.empty() ? ojson(nullptr) : ojson(r.cap_drop)},
                  {"Privileged", r.privileged},
                  {"ReadonlyRootfs", r.read_only},
                  {"Memory", r.memory},
                  {"NanoCpus", r.nano_cpus},
                  {"PidsLimit", r.pids_limit == 0 ? ojson(nullptr) : ojson(r.pids_limit)},
                  {"Tmpfs", r.tmpfs},
                  {"Init", process.contains("init") ? ojson(process["init"].get<bool>()) : ojson(nullptr)},
                  {"Runtime", process.value("runtime", "") .empty() ? "hako" : process.value("runtime", "")},
                  {"ShmSize", process.value("shm_size", int64_t{64} * 1024 * 1024)},
                  {"Sysctls", process.value("sysctls", nlohmann::json::object())},
                  {"GroupAdd", process.value("group_add", nlohmann::json::array())},
                  {"SecurityOpt", process.value("security_opt", nlohmann::json::array())},
                  {"PidMode", process.value("pid", "")},
                  {"IpcMode", process.value("ipc", "").empty() ? "private" : process.value("ipc", "")},
                  {"LogConfig", {{"Type", "json-file"}, {"Config", ojson::object()}}}};
    if (process.contains("log")) {
        if (process["log"].contains("max_size")) host["LogConfig"]["Config"]["max-size"] = std::to_string(process["log"]["max_size"].get<int64_t>());
        if (process["log"].contains("max_file")) host["LogConfig"]["Config"]["max-file"] = std::to_string(process["log"]["max_file"].get<int64_t>());
    }
    ojson device_fields = device::inspect_host_config(r.devices);
    for (const auto& [key, value] : device_fields.items()) host[key] = value;
    if (process.contains("ulimits")) {
        ojson ulimits = ojson::array();
        for (const auto& [name, value] : process["ulimits"].items())
            ulimits.push_back({{"Name", name}, {"Hard", value.value("hard", int64_t{0})}, {"Soft", value.value("soft", int64_t{0})}});
        host["Ulimits"] = ulimits;
    }
    std::vector<std::string> args = r.args();
    return {{"Id", r.id},
            {"Created", r.created},
            {"Path", args.empty() ? "" : args.front()},
            {"Args", args.size() > 1 ? std::vector<std::string>(args.begin() + 1, args.end()) : std::vector<std::string>{}},
            {"State", state},
            {"Image", r.image_id},
            {"LogPath", store.log_path(r.id).string()},
            {"Name", "/" + r.name},
            {"RestartCount", s.restart_count},
            {"Driver", "overlay"},
            {"HostConfig", host},
            {"Config", config}};
}

// Runs `verb` on each named container; reports each failure and goes on (docker's way).
template <typename Verb>
void for_each_container(Context& ctx, const std::vector<std::string>& refs, Verb verb) {
    auto store = open_store(ctx);
    if (!store.ok()) return fail(ctx, std::move(store).error());
    int status = 0;
    for (const auto& ref : refs) {
        auto record = store->find(ref);
        Result<void> done = record.ok() ? verb(*store, *record) : Result<void>(std::move(record).error());
        if (!done.ok()) status = report(done);
        else if (!ref.empty()) std::cout << ref << "\n";
    }
    ctx.exit_status = status;
}

Result<int> attach_and_wait(container::Started& started) {
    return container::wait_attached(started);
}

bool has_tty(const ContainerRecord& r) { return r.process.is_object() && r.process.value("tty", false); }
bool has_stdin(const ContainerRecord& r) { return r.process.is_object() && r.process.value("stdin_open", false); }

// Starts a container with an attacher from its first byte on (run -i/-t, start -a -i):
// the container's exit status, or 0 when the detach keys left it running.
Result<int> start_interactive(const ContainerStore& store, const ContainerRecord& record, bool forward_stdin,
                              const std::string& detach_keys) {
    TRY(monitor::parse_detach_keys(detach_keys));
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return Error::from_syscall("socketpair", errno, "attach");
    sys::UniqueFd client(pair[0]), server(pair[1]);
    container::StartOptions options;
    options.attach_socket = server.get();
    bool tty = has_tty(record);
    if (tty) {
        auto [rows, cols] = monitor::terminal_size(::isatty(0) ? 0 : 1);
        options.rows = rows;
        options.cols = cols;
    }
    auto started = TRY(container::start_container(store, record, options));
    server.reset();
    monitor::AttachStreams streams;
    streams.in = forward_stdin ? 0 : -1;
    streams.tty = tty;
    streams.close_stdin_on_eof = forward_stdin;
    streams.detach_keys = detach_keys;
    auto end = TRY(monitor::attach_session(client.get(), streams));
    if (end == monitor::AttachEnd::Detached) return 0;
    return container::wait_attached(started);
}

void add_run_or_create(CLI::App& noun, Context& ctx, bool run) {
    auto f = std::make_shared<CreateFlags>();
    CLI::App* cmd = run ? noun.add_subcommand("run", "Create and run a new container from an image")
                        : noun.add_subcommand("create", "Create a new container");
    add_create_flags(cmd, *f, run);
    auto* entrypoint = cmd->get_option("--entrypoint");
    cmd->callback([&ctx, f, cmd, entrypoint, run] {
        f->args = cmd->remaining();
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto request = make_request(ctx, *f, entrypoint->count() > 0);
        if (!request.ok()) return fail(ctx, std::move(request).error());
        auto record = container::create_container(*store, *request);
        if (!record.ok()) return fail(ctx, std::move(record).error());
        if (!run) {
            std::cout << record->id << "\n";
            ctx.exit_status = 0;
            return;
        }
        std::cout.flush();
        bool attached = !f->detach;
        if (attached && (has_tty(*record) || has_stdin(*record))) {
            auto code = start_interactive(*store, *record, has_stdin(*record), f->detach_keys);
            if (!code.ok()) {
                Error e = std::move(code).error();
                if (e.exit_code == ExitCode::Failure) e.exit_code = container::kRunFailure;
                if (record->auto_remove) (void)container::remove_container(*store, *record, true);
                return fail(ctx, std::move(e));
            }
            ctx.exit_status = *code;
            return;
        }
        auto started = container::start_container(*store, *record, attached ? 1 : -1, attached ? 2 : -1);
        if (!started.ok()) {
            Error e = std::move(started).error();
            if (e.exit_code == ExitCode::Failure) e.exit_code = container::kRunFailure;
            if (record->auto_remove) (void)container::remove_container(*store, *record, true);
            return fail(ctx, std::move(e));
        }
        if (!attached) {
            std::cout << record->id << "\n";
            ctx.exit_status = 0;
            return;
        }
        auto code = attach_and_wait(*started);
        if (!code.ok()) return fail(ctx, std::move(code).error());
        ctx.exit_status = *code;
    });
}

void add_start(CLI::App& noun, Context& ctx) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto attach = std::make_shared<bool>(false);
    auto interactive = std::make_shared<bool>(false);
    auto detach_keys = std::make_shared<std::string>("ctrl-p,ctrl-q");
    CLI::App* cmd = noun.add_subcommand("start", "Start one or more stopped containers");
    cmd->add_flag("-a,--attach", *attach, "Attach stdout/stderr and wait for the container");
    cmd->add_flag("-i,--interactive", *interactive, "Attach the container's STDIN");
    cmd->add_option("--detach-keys", *detach_keys, "Key sequence that detaches from the container");
    cmd->add_option("CONTAINER", *refs, "Containers")->required();
    cmd->callback([&ctx, refs, attach, interactive, detach_keys] {
        if (*attach || *interactive) {
            auto store = open_store(ctx);
            if (!store.ok()) return fail(ctx, std::move(store).error());
            auto record = store->find(refs->front());
            if (!record.ok()) return fail(ctx, std::move(record).error());
            if (*interactive || has_tty(*record)) {
                auto code = start_interactive(*store, *record, *interactive && (has_stdin(*record) || has_tty(*record)),
                                              *detach_keys);
                if (!code.ok()) return fail(ctx, std::move(code).error());
                ctx.exit_status = *code;
                return;
            }
            auto started = container::start_container(*store, *record, 1, 2);
            if (!started.ok()) return fail(ctx, std::move(started).error());
            auto code = attach_and_wait(*started);
            if (!code.ok()) return fail(ctx, std::move(code).error());
            ctx.exit_status = *code;
            return;
        }
        for_each_container(ctx, *refs, [](const ContainerStore& store, const ContainerRecord& r) -> Result<void> {
            if (container::is_running(store.observed_state(r.id))) return ok();
            TRY(container::start_container(store, r));
            return ok();
        });
    });
}

void add_stop_restart(CLI::App& noun, Context& ctx, bool restart) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto time = std::make_shared<int>(-1);
    CLI::App* cmd = restart ? noun.add_subcommand("restart", "Restart one or more containers")
                            : noun.add_subcommand("stop", "Stop one or more running containers");
    cmd->add_option("-t,--time", *time, "Seconds to wait before killing the container");
    cmd->add_option("CONTAINER", *refs, "Containers")->required();
    cmd->callback([&ctx, refs, time, restart] {
        for_each_container(ctx, *refs, [&](const ContainerStore& store, const ContainerRecord& r) -> Result<void> {
            std::optional<int> grace;
            if (*time >= 0) grace = *time;
            TRY(container::stop_container(store, r, grace));
            if (restart) TRY(container::start_container(store, r));
            return ok();
        });
    });
}

void add_kill(CLI::App& noun, Context& ctx) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto signal = std::make_shared<std::string>("KILL");
    CLI::App* cmd = noun.add_subcommand("kill", "Kill one or more running containers");
    cmd->add_option("-s,--signal", *signal, "Signal to send");
    cmd->add_option("CONTAINER", *refs, "Containers")->required();
    cmd->callback([&ctx, refs, signal] {
        auto number = container::parse_signal(*signal);
        if (!number.ok()) return fail(ctx, std::move(number).error());
        for_each_container(ctx, *refs, [&](const ContainerStore& store, const ContainerRecord& r) {
            return container::kill_container(store, r, *number);
        });
    });
}

void add_rm(CLI::App& noun, Context& ctx) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    auto volumes = std::make_shared<bool>(false);
    CLI::App* cmd = noun.add_subcommand("rm", "Remove one or more containers");
    cmd->add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
    cmd->add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
    cmd->add_option("CONTAINER", *refs, "Containers")->required();
    cmd->callback([&ctx, refs, force, volumes] {
        for_each_container(ctx, *refs, [&](const ContainerStore& store, const ContainerRecord& r) {
            return container::remove_container(store, r, *force, *volumes);
        });
    });
}

// docker's `--format` templates: each {{.Field}} or {{.A.B}} replaced by that value of
// `fields` (strings raw, others as JSON), {{json .A}} by its JSON; a missing key of a
// nested object prints "<no value>" as Go's templates do, an unknown top-level field is
// an error.
Result<std::string> render_field_template(const std::string& format, const ojson& fields) {
    std::string out;
    for (size_t at = 0; at < format.size();) {
        size_t open = format.find("{{", at);
        if (open == std::string::npos) {
            out += format.substr(at);
            break;
        }
        out += format.substr(at, open - at);
        size_t close = format.find("}}", open);
        if (close == std::string::npos) return Error::usage("--format: '{{' without '}}'");
        std::string field = format.substr(open + 2, close - open - 2);
        field.erase(0, field.find_first_not_of(' '));
        field.erase(field.find_last_not_of(' ') + 1);
        bool as_json = field.rfind("json ", 0) == 0;
        if (as_json) field.erase(0, field.find_first_not_of(' ', 5));
        if (field.empty() || field[0] != '.') return Error::usage("--format: unknown field '" + field + "'");
        const ojson* value = &fields;
        bool missing = false;
        for (size_t part = 1; part <= field.size() && field != ".";) {
            size_t dot = field.find('.', part);
            std::string key = field.substr(part, dot == std::string::npos ? std::string::npos : dot - part);
            if (key.empty() || !value->is_object())
                return Error::usage("--format: can't evaluate field '" + key + "' in '" + field + "'");
            if (!value->contains(key)) {
                if (value == &fields) return Error::usage("--format: unknown field '" + field + "'");
                missing = true;
                break;
            }
            value = &(*value)[key];
            if (dot == std::string::npos) break;
            part = dot + 1;
        }
        if (missing) out += "<no value>";
        else if (as_json) out += value->dump();
        else if (value->is_string()) out += value->get<std::string>();
        else if (value->is_null()) out += "<nil>";
        else out += value->dump();
        at = close + 2;
    }
    return out;
}

void add_ls(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool all = false, quiet = false;
        std::string format;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("ls", "List containers");
    cmd->alias("ps");
    cmd->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
    cmd->add_flag("-q,--quiet", f->quiet, "Only display container IDs");
    cmd->add_option("--format", f->format, "table (default), json, or a template such as '{{.Names}}'");
    cmd->callback([&ctx, f] {
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto all = store->list();
        if (!all.ok()) return fail(ctx, std::move(all).error());
        std::vector<std::vector<std::string>> rows = {
            {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}};
        std::string out;
        for (const auto& r : *all) {
            ContainerState s = store->observed_state(r.id);
            if (!f->all && !container::is_running(s)) continue;
            std::string created = human_duration(::time(nullptr) - parse_time(r.created)) + " ago";
            ServiceContainer described{r, s, "", 0, false};
            std::string ports = ports_text(publishers_of(store->root().path().string(), described));
            if (f->quiet) {
                out += r.id.substr(0, 12) + "\n";
            } else if (f->format == "json" || f->format.find("{{") != std::string::npos) {
                ojson line = {{"Command", command_text(r, false)}, {"CreatedAt", r.created}, {"ID", r.id.substr(0, 12)},
                              {"Image", r.image},           {"Labels", ""},         {"Names", r.name},
                              {"Ports", ports},             {"RunningFor", created}, {"State", s.status},
                              {"Status", status_text(s)}};
                if (f->format == "json") {
                    out += line.dump() + "\n";
                    continue;
                }
                auto text = render_field_template(f->format, line);
                if (!text.ok()) return fail(ctx, std::move(text).error());
                out += *text + "\n";
            } else {
                rows.push_back({r.id.substr(0, 12), r.image, command_text(r, false), created, status_text(s), ports, r.name});
            }
        }
        if (!f->quiet && f->format.empty()) out = format_table(rows);
        else if (!f->format.empty() && f->format != "json" && f->format != "table" &&
                 f->format.find("{{") == std::string::npos)
            return fail(ctx, Error::usage("unsupported --format " + f->format + " (table, json or {{.Field}} template)"));
        std::cout << out;
        ctx.exit_status = 0;
    });
}

void add_inspect(CLI::App& noun, Context& ctx) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    CLI::App* cmd = noun.add_subcommand("inspect", "Display detailed information on one or more containers");
    cmd->add_option("-f,--format", *format, "json (the default) or a template such as '{{.State.Status}}'");
    cmd->add_option("CONTAINER", *refs, "Containers")->required();
    cmd->callback([&ctx, refs, format] {
        bool templated = format->find("{{") != std::string::npos;
        if (!format->empty() && *format != "json" && !templated)
            return fail(ctx, Error::usage("unsupported --format " + *format + " (json or a {{.Field}} template)"));
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        ojson array = ojson::array();
        int status = 0;
        for (const auto& ref : *refs) {
            auto record = store->find(ref);
            if (!record.ok()) {
                status = report(Result<void>(Error("No such container: " + ref)));
                continue;
            }
            array.push_back(inspect_json(*store, *record));
        }
        if (templated) {
            std::string out;
            for (const auto& item : array) {
                auto text = render_field_template(*format, item);
                if (!text.ok()) return fail(ctx, std::move(text).error());
                out += *text + "\n";
            }
            std::cout << out;
        } else {
            std::cout << array.dump(4) << "\n";
        }
        ctx.exit_status = status;
    });
}

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Reads a json-file log line by line, following it across rotation: at its end
// the path is looked at again, and a new file (rotated) or a shorter one (cut back) is read from its start.
class LogFollower {
public:
    explicit LogFollower(std::filesystem::path path) : path_(std::move(path)) {}
    ~LogFollower() {
        if (file_) std::fclose(file_);
    }
    // The next whole line (without '\n'), or nullopt at the current end.
    std::optional<std::string> next() {
        if (!file_ && !reopen()) return std::nullopt;
        for (int attempt = 0; attempt < 2; ++attempt) {
            long at = std::ftell(file_);
            char* data = nullptr;
            size_t capacity = 0;
            ssize_t n = ::getline(&data, &capacity, file_);
            if (n > 0 && data[n - 1] == '\n') {
                std::string line(data, static_cast<size_t>(n - 1));
                std::free(data);
                return line;
            }
            std::free(data);
            std::clearerr(file_);
            std::fseek(file_, at, SEEK_SET);  // nothing, or a partly written line: read it again whole later
            struct stat now {};
            if (::stat(path_.c_str(), &now) != 0) return std::nullopt;
            if (now.st_ino != inode_) {
                if (!reopen()) return std::nullopt;
                continue;
            }
            if (now.st_size < at) std::fseek(file_, 0, SEEK_SET);
            return std::nullopt;
        }
        return std::nullopt;
    }
    void seek_end() {
        if (file_ || reopen()) std::fseek(file_, 0, SEEK_END);
    }

private:
    bool reopen() {
        if (file_) std::fclose(file_);
        file_ = std::fopen(path_.c_str(), "re");
        if (!file_) return false;
        struct stat st {};
        ::fstat(::fileno(file_), &st);
        inode_ = st.st_ino;
        return true;
    }
    std::filesystem::path path_;
    FILE* file_ = nullptr;
    ino_t inode_ = 0;
};

void add_logs(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool follow = false, timestamps = false;
        std::string tail = "all";
        std::string since, until;
        std::string ref;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("logs", "Fetch the logs of a container");
    cmd->add_flag("-f,--follow", f->follow, "Follow log output");
    cmd->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
    cmd->add_option("-n,--tail", f->tail, "Number of lines to show from the end of the logs");
    cmd->add_option("--since", f->since, "Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)");
    cmd->add_option("--until", f->until, "Show logs before a timestamp (2013-01-02T13:23:37Z) or relative (42m)");
    cmd->add_option("CONTAINER", f->ref, "Container")->required();
    cmd->callback([&ctx, f] {
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto record = store->find(f->ref);
        if (!record.ok()) return fail(ctx, std::move(record).error());
        long tail = -1;
        if (f->tail != "all") {
            try {
                tail = std::stol(f->tail);
            } catch (...) {
                return fail(ctx, Error::usage("invalid --tail " + f->tail));
            }
        }
        std::optional<int64_t> since, until;
        int64_t now = now_ns();
        if (!f->since.empty()) {
            auto t = container::parse_log_time_ns(f->since, now);
            if (!t.ok()) return fail(ctx, std::move(t).error().context("--since"));
            since = *t;
        }
        if (!f->until.empty()) {
            auto t = container::parse_log_time_ns(f->until, now);
            if (!t.ok()) return fail(ctx, std::move(t).error().context("--until"));
            until = *t;
        }
        auto print = [&](const std::string& line) {
            auto entry = container::decode_log_line(line);
            if (!entry.ok()) return;
            if (since || until) {
                auto at = container::parse_rfc3339_ns(entry->time);
                if (!at.ok()) return;
                if (since && *at < *since) return;
                if (until && *at > *until) return;
            }
            std::ostream& os = entry->stream == "stderr" ? std::cerr : std::cout;
            if (f->timestamps) os << entry->time << " ";
            os << entry->log;
            os.flush();
        };
        std::filesystem::path path = store->log_path(record->id);
        auto files = monitor::log_files(path);
        std::deque<std::string> last;
        for (const auto& file : files) {
            if (file == path) break;  // the live file last, through the follower
            std::ifstream in(file, std::ios::binary);
            for (std::string line; std::getline(in, line);) {
                if (tail < 0) print(line);
                else last.push_back(line);
                if (tail >= 0 && static_cast<long>(last.size()) > tail) last.pop_front();
            }
        }
        LogFollower follower(path);
        while (auto line = follower.next()) {
            if (tail < 0) print(*line);
            else last.push_back(*line);
            if (tail >= 0 && static_cast<long>(last.size()) > tail) last.pop_front();
        }
        for (const auto& l : last) print(l);
        while (f->follow) {
            if (auto line = follower.next()) {
                print(*line);
                continue;
            }
            if (!container::is_running(store->observed_state(record->id))) {
                while (auto rest = follower.next()) print(*rest);
                break;
            }
            if (until && now_ns() > *until) break;
            ::usleep(50000);
        }
        ctx.exit_status = 0;
    });
}

void add_exec(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool detach = false, interactive = false, tty = false;
        std::string user, workdir;
        std::vector<std::string> env, env_files;
        std::string ref;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("exec", "Execute a command in a running container");
    cmd->add_flag("-d,--detach", f->detach, "Detached mode: run command in the background");
    cmd->add_flag("-i,--interactive", f->interactive, "Keep STDIN open even if not attached");
    cmd->add_flag("-t,--tty", f->tty, "Allocate a pseudo-TTY");
    cmd->add_option("-u,--user", f->user, "Username or UID (format: <name|uid>[:<group|gid>])");
    cmd->add_option("-w,--workdir", f->workdir, "Working directory inside the container");
    cmd->add_option("-e,--env", f->env, "Set environment variables")->allow_extra_args(false);
    cmd->add_option("--env-file", f->env_files, "Read in a file of environment variables")->allow_extra_args(false);
    cmd->add_option("CONTAINER", f->ref, "Container")->required();
    cmd->prefix_command();
    cmd->fallthrough(false);
    cmd->callback([&ctx, f, cmd] {
        container::ExecRequest request;
        request.args = cmd->remaining();
        if (request.args.empty()) return fail(ctx, Error::usage("\"hako container exec\" requires at least 2 arguments"));
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto record = store->find(f->ref);
        if (!record.ok()) return fail(ctx, std::move(record).error());
        for (const auto& file : f->env_files) {
            std::ifstream in(file);
            if (!in) return fail(ctx, Error("open " + file + ": no such file or directory"));
            for (std::string line; std::getline(in, line);) {
                size_t start = line.find_first_not_of(" \t");
                if (start == std::string::npos || line[start] == '#') continue;
                if (auto v = env_value(ctx, line.substr(start)); !v.empty()) request.env.push_back(v);
            }
        }
        for (const auto& e : f->env)
            if (auto v = env_value(ctx, e); !v.empty()) request.env.push_back(v);
        request.user = f->user;
        request.working_dir = f->workdir;
        request.tty = f->tty;
        request.interactive = f->interactive;
        request.detach = f->detach;
        std::cout.flush();
        auto code = container::exec_container(*store, *record, request, 0, 1, 2);
        if (!code.ok()) return fail(ctx, std::move(code).error());
        ctx.exit_status = *code;
    });
}

void add_attach(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string ref, detach_keys = "ctrl-p,ctrl-q";
        bool no_stdin = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("attach", "Attach local standard input, output, and error streams to a running container");
    cmd->add_option("--detach-keys", f->detach_keys, "Key sequence that detaches from the container");
    cmd->add_flag("--no-stdin", f->no_stdin, "Do not attach STDIN");
    cmd->add_option("CONTAINER", f->ref, "Container")->required();
    cmd->callback([&ctx, f] {
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto record = store->find(f->ref);
        if (!record.ok()) return fail(ctx, std::move(record).error());
        container::AttachOptions options;
        options.in = f->no_stdin ? -1 : 0;
        options.detach_keys = f->detach_keys;
        std::cout.flush();
        auto code = container::attach_container(*store, *record, options);
        if (!code.ok()) return fail(ctx, std::move(code).error());
        if (!code->has_value()) std::cerr << "read escape sequence\n";
        ctx.exit_status = code->value_or(0);
    });
}

void add_wait(CLI::App& noun, Context& ctx) {
    auto refs = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = noun.add_subcommand("wait", "Block until containers stop, then print their exit codes");
    cmd->add_option("CONTAINER", *refs, "Containers")->required();
    cmd->callback([&ctx, refs] {
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        int status = 0;
        for (const auto& ref : *refs) {
            auto record = store->find(ref);
            if (!record.ok()) {
                status = report(Result<void>(std::move(record).error()));
                continue;
            }
            auto code = container::wait_container(*store, *record);
            if (!code.ok()) status = report(Result<void>(std::move(code).error()));
            else std::cout << *code << std::endl;
        }
        ctx.exit_status = status;
    });
}

// Each verb of the noun and what registers it (several verbs share one
// function in the files that add them); `container run` builds only run's.
using NounRegistration = void (*)(CLI::App&, Context&);
struct NounVerb {
    std::string_view verb;
    NounRegistration add;
};
constexpr NounVerb kContainerVerbs[] = {
    {"run", [](CLI::App& noun, Context& ctx) { add_run_or_create(noun, ctx, true); }},
    {"create", [](CLI::App& noun, Context& ctx) { add_run_or_create(noun, ctx, false); }},
    {"start", add_start},
    {"stop", [](CLI::App& noun, Context& ctx) { add_stop_restart(noun, ctx, false); }},
    {"restart", [](CLI::App& noun, Context& ctx) { add_stop_restart(noun, ctx, true); }},
    {"kill", add_kill},
    {"rm", add_rm},
    {"ls", add_ls},
    {"ps", add_ls},
    {"inspect", add_inspect},
    {"logs", add_logs},
    {"wait", add_wait},
    {"exec", add_exec},
    {"attach", add_attach},
    {"cp", add_container_cp_commands},
    {"rename", add_container_cp_commands},
    {"top", add_container_cp_commands},
    {"prune", add_container_cp_commands},
    {"diff", add_container_layer_commands},
    {"commit", add_container_layer_commands},
};

}  // namespace

void add_container_commands(CLI::App& app, Context& ctx) {
    CLI::App* noun = app.add_subcommand("container", "Manage containers");
    noun->require_subcommand(1);
    for (const auto& entry : kContainerVerbs) {
        if (entry.verb == ctx.chosen_verb) {
            entry.add(*noun, ctx);
            return;
        }
    }
    add_run_or_create(*noun, ctx, true);
    add_run_or_create(*noun, ctx, false);
    add_start(*noun, ctx);
    add_stop_restart(*noun, ctx, false);
    add_stop_restart(*noun, ctx, true);
    add_kill(*noun, ctx);
    add_rm(*noun, ctx);
    add_ls(*noun, ctx);
    add_inspect(*noun, ctx);
    add_logs(*noun, ctx);
    add_wait(*noun, ctx);
    add_exec(*noun, ctx);
    add_attach(*noun, ctx);
    add_container_cp_commands(*noun, ctx);
    add_container_layer_commands(*noun, ctx);
}

}  // namespace hako::cli
