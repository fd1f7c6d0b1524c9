// `hako up` and `hako create`: observe the project, plan, execute with a progress
// view, then (up without -d) stream every container's output with a coloured
// `service-1  | ` prefix until the containers exit or Ctrl-C stops the project
// (a second Ctrl-C kills it), as docker compose up does.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include "src/cli/compose_lifecycle_cmd.h"
#include "src/cli/log_stream.h"
#include "src/cli/output.h"
#include "src/reconcile/plan.h"
#include "src/reconcile/service_spec.h"

namespace hako::cli {

namespace {

struct UpFlags {
    std::vector<std::string> services;
    bool detach = false, build = false, no_build = false, wait = false;
    std::optional<int> wait_timeout;
    std::string pull;
    bool force_recreate = false, no_recreate = false, always_recreate_deps = false, renew_anon_volumes = false;
    bool remove_orphans = false, no_deps = false, no_start = false;
    std::vector<std::string> scale;
    bool abort_on_exit = false, abort_on_failure = false;
    std::optional<std::string> exit_code_from;
    std::vector<std::string> attach, no_attach;
    std::optional<int> timeout;
    bool timestamps = false, no_color = false, no_log_prefix = false;
    bool create_only = false;  // `hako create`
};

std::atomic<int> interrupts{0};
void on_interrupt(int) { interrupts.fetch_add(1); }

Result<std::map<std::string, int>> parse_scale(const std::vector<std::string>& entries) {
    std::map<std::string, int> out;
    for (const auto& entry : entries) {
        size_t equals = entry.find('=');
        if (equals == std::string::npos || equals == 0)
            return Error::usage("--scale: expected SERVICE=NUM, got \"" + entry + "\"");
        try {
            size_t used = 0;
            int count = std::stoi(entry.substr(equals + 1), &used);
            if (used != entry.size() - equals - 1 || count < 0) throw std::invalid_argument(entry);
            out[entry.substr(0, equals)] = count;
        } catch (const std::exception&) {
            return Error::usage("--scale: \"" + entry.substr(equals + 1) + "\" is not a number of containers");
        }
    }
    return out;
}

Result<void> check_flags(const UpFlags& flags) {
    if (flags.detach && (flags.abort_on_exit || flags.abort_on_failure || flags.exit_code_from))
        return Error::usage("-d and --abort-on-container-exit/--abort-on-container-failure/--exit-code-from are incompatible");
    if (flags.abort_on_exit && flags.abort_on_failure)
        return Error::usage("--abort-on-container-exit and --abort-on-container-failure are incompatible");
    if (flags.force_recreate && flags.no_recreate)
        return Error::usage("--force-recreate and --no-recreate are incompatible");
    if (flags.build && flags.no_build) return Error::usage("--build and --no-build are incompatible");
    if (!flags.pull.empty() && flags.pull != "always" && flags.pull != "missing" && flags.pull != "never" &&
        flags.pull != "build" && flags.pull != "policy")
        return Error::usage("--pull: invalid value " + flags.pull + " (always, missing, never, build, policy)");
    if (flags.wait && flags.no_start) return Error::usage("--wait and --no-start are incompatible");
    return ok();
}

// Streams the attached services' logs until every container exited, an abort
// condition holds or Ctrl-C; returns the exit status of `up`.
Result<int> attach_and_follow(Context& ctx, ComposeSession& session, const UpFlags& flags,
                              const std::vector<std::string>& selected) {
    std::set<std::string> attached(selected.begin(), selected.end());
    if (!flags.attach.empty()) attached = std::set<std::string>(flags.attach.begin(), flags.attach.end());
    for (const auto& service : flags.no_attach) attached.erase(service);
    auto containers = TRY(project_containers(session, {}));
    bool color = !flags.no_color && ctx.global.ansi != "never" && (ctx.global.ansi == "always" || ::isatty(1));
    LogStreamOptions options;
    options.follow = true;
    options.timestamps = flags.timestamps;
    options.color = color;
    options.prefix = !flags.no_log_prefix;
    options.split_streams = true;
    LogStream stream(options, std::cout, std::cerr);
    std::set<std::string> watched;
    for (const auto& container : containers) {
        if (!attached.count(container.service)) continue;
        std::string prefix = container.service + "-" + std::to_string(container.number);
        stream.add(LogSource{container.id, prefix, session.engine->store().log_path(container.id)});
        watched.insert(container.id);
    }
    std::map<std::string, std::string> service_of;
    for (const auto& container : containers) service_of[container.id] = container.service;

    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    std::optional<int> abort_code;
    std::optional<int> exit_code_from;
    FollowHooks hooks;
    hooks.stop = [&] { return interrupts.load() > 0 || abort_code.has_value(); };
    hooks.end_when_all_finished = true;
    hooks.finished = [&](const LogSource& source) {
        auto container = session.engine->inspect(source.id);
        int code = container.ok() ? container->exit_code : 1;
        if (flags.exit_code_from && service_of[source.id] == *flags.exit_code_from) exit_code_from = code;
        if (flags.abort_on_exit || (flags.abort_on_failure && code != 0) ||
            (flags.exit_code_from && service_of[source.id] == *flags.exit_code_from))
            if (!abort_code) abort_code = code;
    };
    TRY(stream.run(hooks));

    int status = 0;
    if (interrupts.load() > 0 || abort_code) {
        if (interrupts.load() > 0) std::fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
        else std::fprintf(stderr, "Aborting on container exit...\n");
        auto now = TRY(project_containers(session, {}));
        reconcile::StopRequest request = stop_request(session, now);
        request.timeout = flags.timeout;
        std::atomic<bool> done{false};
        Result<void> stopped;
        auto progress = TRY(make_progress(ctx, "Stopping"));
        std::thread stopper([&] {
            stopped = reconcile::stop(request, *session.engine, progress->reporter());
            done = true;
        });
        int seen = interrupts.load();
        while (!done) {
            if (interrupts.load() > seen && seen >= 1) {
                for (const auto& container : now)
                    if (container.running()) (void)session.engine->kill_container(container.id, SIGKILL);
                seen = interrupts.load();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        stopper.join();
        progress->finish();
        TRY(std::move(stopped));
        if (interrupts.load() > 0) status = 130;
        if (abort_code) status = *abort_code;
    }
    if (flags.exit_code_from) {
        if (!exit_code_from) {
            auto now = TRY(project_containers(session, {*flags.exit_code_from}));
            if (!now.empty()) exit_code_from = now.front().exit_code;
        }
        status = exit_code_from.value_or(status);
    }
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    return status;
}

Result<int> run_up(Context& ctx, const UpFlags& flags) {
    TRY(check_flags(flags));
    auto scale = TRY(parse_scale(flags.scale));
    ComposeSession session = TRY(open_session(ctx, flags.services));
    const project::Project& project = *session.project;
    if (flags.exit_code_from && !project.model["services"].contains(*flags.exit_code_from))
        return Error::usage("--exit-code-from: no such service: " + *flags.exit_code_from);
    for (const auto& list : {flags.attach, flags.no_attach})
        for (const auto& service : list)
            if (!project.model["services"].contains(service)) return Error::usage("no such service: " + service);

    reconcile::PlanOptions options;
    options.services = flags.services;
    options.no_deps = flags.no_deps;
    options.force_recreate = flags.force_recreate;
    options.no_recreate = flags.no_recreate;
    options.always_recreate_deps = flags.always_recreate_deps;
    options.renew_anon_volumes = flags.renew_anon_volumes;
    options.remove_orphans = flags.remove_orphans;
    options.no_start = flags.no_start || flags.create_only;
    options.build = flags.build;
    options.no_build = flags.no_build;
    options.pull = flags.pull == "policy" ? "" : flags.pull;
    options.scale = scale;

    reconcile::PlanInput input;
    input.observed = TRY(session.engine->observe(session.name));
    for (const auto& service : project.service_names()) {
        std::string reference = reconcile::service_image(project, service);
        if (!input.image_ids.count(reference)) input.image_ids[reference] = TRY(session.engine->image_id(reference));
    }
    reconcile::Plan plan = TRY(reconcile::plan(project, input, options));
    auto progress = TRY(make_progress(ctx, flags.create_only ? "Creating" : "Running"));
    if (!plan.images.empty() && !input.observed.containers.empty()) {
        // Images first, then plan again: a running container whose image the build or
        // pull replaces is recreated now, not at the next `up` (the plan could only
        // say "keep" while the new image id was unknown).
        reconcile::Plan images_only;
        images_only.project = plan.project;
        images_only.images = plan.images;
        Result<void> made = reconcile::execute(images_only, *session.engine, {}, progress->reporter());
        if (!made.ok()) {
            progress->finish();
            return std::move(made).error();
        }
        for (const auto& image : plan.images) input.image_ids[image.reference] = TRY(session.engine->image_id(image.reference));
        options.build = false;
        if (options.pull == "always") options.pull = "missing";
        plan = TRY(reconcile::plan(project, input, options));
        plan.images.clear();
    }
    for (const auto& warning : plan.warnings) progress->note("hako: warning: " + warning);
    if (plan.nothing_to_do()) progress->note("Nothing to do: the project " + session.name + " is up to date");

    reconcile::ExecuteOptions execute_options;
    execute_options.stop_timeout = flags.timeout;
    execute_options.renew_anon_volumes = flags.renew_anon_volumes;
    Result<void> executed = reconcile::execute(plan, *session.engine, execute_options, progress->reporter());
    if (executed.ok() && flags.wait) {
        std::vector<std::string> ids;
        for (const auto& container : TRY(project_containers(session, flags.services)))
            ids.push_back(container.id);
        std::optional<std::chrono::seconds> timeout;
        if (flags.wait_timeout) timeout = std::chrono::seconds(*flags.wait_timeout);
        executed = reconcile::wait_until_ready(*session.engine, ids, timeout, progress->reporter());
    }
    progress->finish();
    TRY(std::move(executed));
    if (flags.detach || flags.create_only || flags.no_start || flags.wait) return 0;
    session.lock.reset();  // attached: `hako down` from elsewhere may stop the project
    std::vector<std::string> selected;
    for (const auto& service : plan.services) selected.push_back(service.service);
    return attach_and_follow(ctx, session, flags, selected);
}

void add_up_flags(CLI::App* cmd, UpFlags& flags, bool create_only) {
    cmd->add_option("services", flags.services, "Services to act on (default: all)")->type_name("SERVICE");
    cmd->add_flag("--build", flags.build, "Build images before starting containers");
    cmd->add_flag("--no-build", flags.no_build, "Don't build an image, even if it's missing");
    cmd->add_option("--pull", flags.pull, "Pull image before running (always|missing|never|build)");
    cmd->add_flag("--force-recreate", flags.force_recreate, "Recreate containers even if nothing changed");
    cmd->add_flag("--no-recreate", flags.no_recreate, "If containers already exist, don't recreate them");
    cmd->add_option("--scale", flags.scale, "Scale SERVICE to NUM instances (SERVICE=NUM)")
        ->type_name("SERVICE=NUM")
        ->allow_extra_args(false);
    cmd->add_flag("--remove-orphans", flags.remove_orphans, "Remove containers for services not defined in the file");
    if (create_only) return;
    cmd->add_flag("-d,--detach", flags.detach, "Run containers in the background");
    cmd->add_flag("--wait", flags.wait, "Wait for services to be running|healthy; implies detached mode");
    cmd->add_option("--wait-timeout", flags.wait_timeout, "Maximum seconds to wait for the project to be running|healthy");
    cmd->add_flag("--always-recreate-deps", flags.always_recreate_deps, "Recreate dependent containers");
    cmd->add_flag("-V,--renew-anon-volumes", flags.renew_anon_volumes, "Recreate anonymous volumes");
    cmd->add_flag("--no-deps", flags.no_deps, "Don't start linked services");
    cmd->add_flag("--no-start", flags.no_start, "Don't start the services after creating them");
    cmd->add_flag("--abort-on-container-exit", flags.abort_on_exit, "Stops all containers if any container was stopped");
    cmd->add_flag("--abort-on-container-failure", flags.abort_on_failure,
                  "Stops all containers if any container exited with failure");
    cmd->add_option("--exit-code-from", flags.exit_code_from, "Return the exit code of the selected service container")
        ->type_name("SERVICE");
    cmd->add_option("--attach", flags.attach, "Restrict attaching to the specified services")->allow_extra_args(false);
    cmd->add_option("--no-attach", flags.no_attach, "Do not attach (stream logs) to the specified services")
        ->allow_extra_args(false);
    cmd->add_option("-t,--timeout", flags.timeout, "Shutdown timeout in seconds");
    cmd->add_flag("--timestamps", flags.timestamps, "Show timestamps");
    cmd->add_flag("--no-color", flags.no_color, "Produce monochrome output");
    cmd->add_flag("--no-log-prefix", flags.no_log_prefix, "Don't print prefix in logs");
}

}  // namespace

void add_compose_up_command(CLI::App& app, Context& ctx) {
    auto up = std::make_shared<UpFlags>();
    CLI::App* cmd = app.add_subcommand("up", "Create and start containers");
    add_up_flags(cmd, *up, false);
    cmd->callback([up, &ctx] {
        auto status = run_up(ctx, *up);
        ctx.exit_status = status.ok() ? *status : report(std::move(status).error());
    });

    auto create = std::make_shared<UpFlags>();
    create->create_only = true;
    CLI::App* create_cmd = app.add_subcommand("create", "Creates containers for a service");
    add_up_flags(create_cmd, *create, true);
    create_cmd->callback([create, &ctx] {
        auto status = run_up(ctx, *create);
        ctx.exit_status = status.ok() ? *status : report(std::move(status).error());
    });
}

}  // namespace hako::cli
