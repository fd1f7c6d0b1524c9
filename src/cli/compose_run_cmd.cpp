// `hako run SERVICE [COMMAND…]`: a one-off container of a service (label
// hako.oneoff=True, name project-service-run-ID), after starting what the service
// depends on; attached it prints the output and exits with the command's status.
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <iostream>
#include <tuple>

#include "engine/container/lifecycle.h"
#include "engine/monitor/attach.h"
#include "src/cli/compose_lifecycle_cmd.h"
#include "src/cli/output.h"
#include "src/project/normalize_detail.h"
#include "src/reconcile/plan.h"
#include "src/reconcile/service_spec.h"

namespace hako::cli {

namespace {

struct RunFlags {
    bool detach = false, remove = false, no_tty = false, interactive = false, service_ports = false;
    bool use_aliases = false, no_deps = false, build = false, quiet_pull = false, remove_orphans = false;
    std::vector<std::string> env, publish, volumes, labels;
    std::optional<std::string> entrypoint, name, user, workdir;
    std::vector<std::string> words;  // SERVICE COMMAND…
};

// "[IP:]HOST:CONTAINER[/PROTO]" or "CONTAINER[/PROTO]" → a networking port entry.
Result<reconcile::Json> parse_publish(const std::string& text) {
    std::string spec = text, protocol = "tcp";
    if (size_t slash = spec.rfind('/'); slash != std::string::npos) {
        protocol = spec.substr(slash + 1);
        spec.resize(slash);
    }
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = spec.find(':', start)) != std::string::npos; start = colon + 1)
        parts.push_back(spec.substr(start, colon - start));
    parts.push_back(spec.substr(start));
    if (parts.size() > 3 || parts.back().empty() || parts.back().find_first_not_of("0123456789") != std::string::npos)
        return Error::usage("-p: invalid port \"" + text + "\"");
    reconcile::Json port = {{"target", std::stoi(parts.back())}, {"published", ""}, {"host_ip", ""}, {"protocol", protocol}};
    if (parts.size() >= 2) port["published"] = parts[parts.size() - 2];
    if (parts.size() == 3) port["host_ip"] = parts[0];
    return port;
}

// Starts the one-off container with an attacher from its first byte on: our
// stdin goes to it (ending with ours), its output to ours; its exit status.
Result<int> run_attached(const container::ContainerStore& store, const container::ContainerRecord& record) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return Error::from_syscall("socketpair", errno, "attach");
    sys::UniqueFd client(pair[0]), server(pair[1]);
    container::StartOptions options;
    options.attach_socket = server.get();
    bool tty = record.process.value("tty", false);
    if (tty) std::tie(options.rows, options.cols) = monitor::terminal_size(0);
    auto started = TRY(container::start_container(store, record, options));
    server.reset();
    monitor::AttachStreams streams;
    streams.in = 0;
    streams.tty = tty;
    streams.close_stdin_on_eof = true;
    auto end = TRY(monitor::attach_session(client.get(), streams));
    if (end == monitor::AttachEnd::Detached) return 0;
    return container::wait_attached(started);
}

Result<int> run_run(Context& ctx, RunFlags flags) {
    if (flags.words.empty()) return Error::usage("run: requires a SERVICE");
    std::string service = flags.words.front();
    std::vector<std::string> command(flags.words.begin() + 1, flags.words.end());
    ComposeSession session = TRY(open_session(ctx, {service}));
    const project::Project& project = *session.project;
    if (!project.model["services"].contains(service)) return Error("no such service: " + service);

    // What the service depends on, up first (as `up` would bring it).
    auto progress = TRY(make_progress(ctx, "Running"));
    reconcile::PlanOptions options;
    options.build = flags.build;
    options.remove_orphans = flags.remove_orphans;
    std::vector<std::string> dependencies;
    if (!flags.no_deps)
        for (const auto& name : TRY(reconcile::selected_services(project, {service}, false)))
            if (name != service) dependencies.push_back(name);
    options.services = dependencies;
    reconcile::PlanInput input;
    input.observed = TRY(session.engine->observe(session.name));
    for (const auto& name : project.service_names()) {
        std::string reference = reconcile::service_image(project, name);
        input.image_ids[reference] = TRY(session.engine->image_id(reference));
    }
    if (!dependencies.empty()) {
        reconcile::Plan plan = TRY(reconcile::plan(project, input, options));
        auto executed = reconcile::execute(plan, *session.engine, {}, progress->reporter());
        if (!executed.ok()) {
            progress->finish();
            return std::move(executed).error();
        }
    }
    // The service's own networks, volumes and image (its plan, minus its containers).
    options.services = {service};
    options.no_deps = true;
    options.no_start = true;
    reconcile::Plan own = TRY(reconcile::plan(project, input, options));
    own.services.clear();
    TRY(reconcile::execute(own, *session.engine, {}, progress->reporter()));
    progress->finish();

    int number = 1;
    for (const auto& container : input.observed.containers)
        if (container.oneoff && container.service == service) number = std::max(number, container.number + 1);
    container::CreateRequest request = TRY(reconcile::container_request(project, service, number, true));
    std::string suffix = container::generate_id().substr(0, 12);
    request.name = flags.name.value_or(project.name + "-" + service + "-run-" + suffix);
    request.restart = {};
    request.auto_remove = flags.remove && flags.detach;
    if (!command.empty()) {
        // The service's entrypoint words stay; the command replaces the service's.
        const auto& config = project.service(service);
        std::vector<std::string> args;
        if (config.contains("entrypoint") && config["entrypoint"].is_array())
            for (size_t i = 1; i < config["entrypoint"].size(); ++i) args.push_back(config["entrypoint"][i]);
        args.insert(args.end(), command.begin(), command.end());
        request.args = args;
    }
    if (flags.entrypoint) {
        auto words = project::detail::split_shell_words(*flags.entrypoint);
        if (!words) return Error::usage("--entrypoint: unterminated quote");
        request.entrypoint = words->empty() ? "" : words->front();
        std::vector<std::string> args;
        if (!words->empty()) args.assign(words->begin() + 1, words->end());
        if (!command.empty()) args.insert(args.end(), command.begin(), command.end());
        request.args = args;
    }
    for (const auto& entry : flags.env) {
        if (entry.find('=') != std::string::npos) {
            request.env.push_back(entry);
        } else if (auto it = ctx.environment.find(entry); it != ctx.environment.end()) {
            request.env.push_back(entry + "=" + it->second);
        }
    }
    for (const auto& label : flags.labels) {
        size_t equals = label.find('=');
        request.labels[label.substr(0, equals)] = equals == std::string::npos ? "" : label.substr(equals + 1);
    }
    if (flags.user) request.user = *flags.user;
    if (flags.workdir) request.working_dir = *flags.workdir;
    if (!flags.service_ports) request.networking["ports"] = reconcile::Json::array();
    for (const auto& publish : flags.publish) request.networking["ports"].push_back(TRY(parse_publish(publish)));
    if (!flags.use_aliases && request.networking.contains("endpoints"))
        for (auto& [network, endpoint] : request.networking["endpoints"].items()) endpoint["aliases"] = reconcile::Json::array();
    for (const auto& volume : flags.volumes) {
        size_t colon = volume.find(':');
        if (colon == std::string::npos) {
            request.mounts.push_back({{"type", "volume"}, {"source", ""}, {"target", volume}, {"read_only", false}});
            continue;
        }
        std::string source = volume.substr(0, colon), rest = volume.substr(colon + 1);
        bool read_only = rest.size() > 3 && rest.substr(rest.size() - 3) == ":ro";
        if (read_only || (rest.size() > 3 && rest.substr(rest.size() - 3) == ":rw")) rest.resize(rest.size() - 3);
        bool bind = source.find('/') != std::string::npos || source[0] == '.' || source[0] == '~';
        if (bind) {
            std::filesystem::path path = source;
            if (path.is_relative()) path = ctx.working_directory / path;
            request.mounts.push_back({{"type", "bind"}, {"source", path.lexically_normal().string()}, {"target", rest},
                                      {"read_only", read_only}, {"bind", {{"create_host_path", true}}}});
        } else {
            std::string name = project.model.contains("volumes") && project.model["volumes"].contains(source)
                                   ? reconcile::volume_name(project, source)
                                   : source;
            request.mounts.push_back({{"type", "volume"}, {"source", name}, {"target", rest}, {"read_only", read_only}});
        }
    }
    if (!flags.detach) {
        // Attached, compose run passes stdin through (-i is its default) and gives
        // the container a terminal when ours is one, unless -T.
        request.process["stdin_open"] = true;
        request.process["tty"] = !flags.no_tty && ::isatty(0) && ::isatty(1);
    }
    auto record = TRY(container::create_container(session.engine->store(), request));
    session.lock.reset();
    if (flags.detach) {
        TRY(session.engine->start_container(record.id));
        std::cout << record.name << '\n';
        return 0;
    }
    auto exit_code = run_attached(session.engine->store(), record);
    if (flags.remove) (void)container::remove_container(session.engine->store(), record, true, true);
    return exit_code;
}

}  // namespace

void add_compose_run_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<RunFlags>();
    CLI::App* cmd = app.add_subcommand("run", "Run a one-off command on a service");
    cmd->add_flag("-d,--detach", flags->detach, "Run container in background and print container ID");
    cmd->add_flag("--rm", flags->remove, "Automatically remove the container when it exits");
    cmd->add_flag("-T,--no-TTY", flags->no_tty, "Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)");
    cmd->add_flag("-i,--interactive", flags->interactive, "Keep STDIN open even if not attached (attached, stdin is always passed)");
    cmd->add_option("-e,--env", flags->env, "Set environment variables")->allow_extra_args(false);
    cmd->add_option("-l,--label", flags->labels, "Add or override a label")->allow_extra_args(false);
    cmd->add_option("--entrypoint", flags->entrypoint, "Override the entrypoint of the image");
    cmd->add_option("--name", flags->name, "Assign a name to the container");
    cmd->add_option("-p,--publish", flags->publish, "Publish a container's port(s) to the host")->allow_extra_args(false);
    cmd->add_flag("-P,--service-ports", flags->service_ports, "Run with the service's ports enabled and mapped to the host");
    cmd->add_flag("--use-aliases", flags->use_aliases, "Use the service's network aliases in the network(s) the container connects to");
    cmd->add_option("-u,--user", flags->user, "Run as specified username or uid");
    cmd->add_option("-v,--volume", flags->volumes, "Bind mount a volume")->allow_extra_args(false);
    cmd->add_option("-w,--workdir", flags->workdir, "Working directory inside the container");
    cmd->add_flag("--no-deps", flags->no_deps, "Don't start linked services");
    cmd->add_flag("--build", flags->build, "Build image before starting container");
    cmd->add_flag("--quiet-pull", flags->quiet_pull, "Pull without printing progress information");
    cmd->add_flag("--remove-orphans", flags->remove_orphans, "Remove containers for services not defined in the Compose file");
    cmd->prefix_command();
    cmd->fallthrough(false);
    cmd->callback([flags, cmd, &ctx] {
        RunFlags copy = *flags;
        copy.words = cmd->remaining();
        auto status = run_run(ctx, copy);
        ctx.exit_status = status.ok() ? *status : report(std::move(status).error());
    });
}

}  // namespace hako::cli
