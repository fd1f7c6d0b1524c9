// This file registers the project verbs `hako pull [SERVICE…]` (every selected
// service's `image:` from its registry) and `hako push [SERVICE…]` (the images of
// services that have both `build:` and `image:`), as docker compose does, on the
// registry client of engine/image/registry.h.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/build/build_flags.h"
#include "engine/container/image_usage.h"
#include "engine/image/pull_progress.h"
#include "engine/image/registry.h"
#include "engine/store/state_root.h"
#include "src/cli/context.h"
#include "src/cli/global_options.h"
#include "src/cli/output.h"
#include "src/project/project.h"

namespace hako::cli {

namespace {

struct Flags {
    std::vector<std::string> services;
    bool quiet = false, ignore_failures = false, ignore_buildable = false;
};


std::string text(const project::Json& service, const char* key) {
    return service.contains(key) && service[key].is_string() ? service[key].get<std::string>() : "";
}

Result<project::Project> load(const Context& ctx, const Flags& flags) {
    project::LoadOptions options = load_options(ctx);
    options.services = flags.services;
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    print_warnings(diagnostics);
    project::Project project = TRY(std::move(loaded));
    for (const auto& name : flags.services)
        if (!project.model["services"].contains(name)) return Error("no such service: " + name);
    return project;
}

Result<void> run_pull(const Context& ctx, const Flags& flags) {
    project::Project project = TRY(load(ctx, flags));
    auto store = TRY(container::open_image_store_with_usage(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root));
    image::PullOptions options;
    options.docker_config = build::docker_config_path(ctx.environment);
    // Each service's layers under its name: redrawn in place on a terminal, plain
    // lines with --progress plain or a pipe, none with -q or --progress quiet.
    const std::string& mode = ctx.global.progress;
    bool quiet = flags.quiet || mode == "quiet";
    bool tty = mode == "tty" || (mode == "auto" && ctx.global.ansi != "never" &&
                                 (ctx.global.ansi == "always" || ::isatty(STDERR_FILENO)));
    Result<void> outcome = ok();
    for (const auto& name : flags.services.empty() ? project.service_names() : flags.services) {
        const auto& service = project.service(name);
        std::string image = text(service, "image");
        bool buildable = service.contains("build");
        if (image.empty() || text(service, "pull_policy") == "build" || (buildable && flags.ignore_buildable)) continue;
        if (!quiet) std::cerr << " " << name << " Pulling\n" << std::flush;
        image::PullProgressView view(stderr, tty, "   " + name + " ");
        image::PullOptions service_options = options;
        if (!quiet) service_options.layer_progress = view.layer_sink();
        auto pulled = image::pull_image(store, image, service_options);
        if (pulled.ok()) {
            if (!quiet) std::cerr << " " << name << " Pulled\n";
            continue;
        }
        // An image the project builds itself may not be in any registry yet.
        if (buildable || flags.ignore_failures) {
            std::cerr << " " << name << " Warning: " << pulled.error().message << "\n";
            continue;
        }
        outcome = Error("service " + name + ": " + pulled.error().message);
    }
    return outcome;
}

Result<void> run_push(const Context& ctx, const Flags& flags) {
    project::Project project = TRY(load(ctx, flags));
    auto store = TRY(container::open_image_store_with_usage(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root));
    image::PushOptions options;
    options.docker_config = build::docker_config_path(ctx.environment);
    for (const auto& name : flags.services.empty() ? project.service_names() : flags.services) {
        const auto& service = project.service(name);
        std::string image = text(service, "image");
        if (image.empty() || !service.contains("build")) continue;
        if (!flags.quiet) std::cerr << " " << name << " Pushing\n";
        auto pushed = image::push_image(store, image, options);
        if (!pushed.ok()) {
            if (flags.ignore_failures) {
                std::cerr << " " << name << " Warning: " << pushed.error().message << "\n";
                continue;
            }
            return Error("service " + name + ": " + pushed.error().message);
        }
        if (!flags.quiet) std::cerr << " " << name << " Pushed\n";
    }
    return ok();
}

}  // namespace

void add_compose_pull_commands(CLI::App& app, Context& ctx) {
    auto pull = std::make_shared<Flags>();
    CLI::App* pull_cmd = app.add_subcommand("pull", "Pull service images");
    pull_cmd->add_option("services", pull->services, "Services (default: all)");
    pull_cmd->add_flag("-q,--quiet", pull->quiet, "Pull without printing progress information");
    pull_cmd->add_flag("--ignore-pull-failures", pull->ignore_failures, "Pull what it can and ignore images with pull failures");
    pull_cmd->add_flag("--ignore-buildable", pull->ignore_buildable, "Ignore images that can be built");
    pull_cmd->callback([pull, &ctx] { ctx.exit_status = report(run_pull(ctx, *pull)); });

    auto push = std::make_shared<Flags>();
    CLI::App* push_cmd = app.add_subcommand("push", "Push service images");
    push_cmd->add_option("services", push->services, "Services (default: all with build and image)");
    push_cmd->add_flag("-q,--quiet", push->quiet, "Push without printing progress information");
    push_cmd->add_flag("--ignore-push-failures", push->ignore_failures, "Push what it can and ignore images with push failures");
    push_cmd->callback([push, &ctx] { ctx.exit_status = report(run_push(ctx, *push)); });
}

}  // namespace hako::cli
