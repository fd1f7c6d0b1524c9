// This file registers `hako build [SERVICE…]`: each selected service's normalised
// `build:` section (context, dockerfile, dockerfile_inline, args, target, labels,
// tags, network, shm_size, secrets, ssh) becomes a build::BuildRequest, tagged with the service's
// `image:` or "PROJECT-SERVICE" (docker compose's naming).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/build/build_flags.h"
#include "engine/build/builder.h"
#include "engine/store/state_root.h"
#include "src/cli/context.h"
#include "src/cli/global_options.h"
#include "src/cli/output.h"
#include "src/project/project.h"

namespace hako::cli {

namespace {

struct BuildFlags {
    std::vector<std::string> services, build_args, ssh;
    bool no_cache = false, pull = false, quiet = false;
};

std::string scalar(const project::Json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "";
    return value.dump();
}

// build.secrets: each entry names a top-level secret (file, or environment variable
// read from the project's environment); the Dockerfile's id is the entry's target,
// else its source (docker compose's rule).
Result<void> add_secrets(const project::Project& project, const std::string& service, const project::Json& b,
                         build::BuildRequest& request) {
    if (!b.contains("secrets") || !b["secrets"].is_array()) return ok();
    for (const auto& entry : b["secrets"]) {
        std::string source = entry.is_string() ? entry.get<std::string>() : scalar(entry.value("source", project::Json()));
        std::string id = entry.is_object() && entry.contains("target") ? scalar(entry["target"]) : source;
        std::string where = "service " + service + ": build.secrets: " + source;
        const auto& secrets = project.model.contains("secrets") ? project.model["secrets"] : project::Json::object();
        if (!secrets.contains(source)) return Error(where + ": no top-level secret of that name");
        const auto& definition = secrets[source];
        build::BuildSecret secret;
        if (definition.contains("file")) {
            secret.file = scalar(definition["file"]);
        } else if (definition.contains("environment")) {
            std::string variable = scalar(definition["environment"]);
            auto value = project.environment.get(variable);
            if (!value) return Error(where + ": the environment variable " + variable + " is not set");
            secret.value = *value;
        } else {
            return Error(where + ": only file and environment secrets can be used by a build");
        }
        request.secrets[id] = std::move(secret);
    }
    return ok();
}

// The request for one service; `build` is its normalised build section.
Result<build::BuildRequest> service_request(const Context& ctx, const project::Project& project,
                                            const std::string& service, const BuildFlags& flags) {
    const auto& config = project.service(service);
    const auto& b = config.at("build");
    build::BuildRequest request;
    request.root = ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root;
    request.context = b.contains("context") ? scalar(b["context"]) : project.working_dir.string();
    if (b.contains("dockerfile_inline")) request.dockerfile_inline = scalar(b["dockerfile_inline"]);
    if (b.contains("dockerfile")) request.dockerfile = scalar(b["dockerfile"]);
    if (b.contains("args") && b["args"].is_object()) {
        for (const auto& [k, v] : b["args"].items()) request.args[k] = scalar(v);
    }
    for (const auto& item : flags.build_args) {
        size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0) return Error::usage("--build-arg " + item + ": expected KEY=VALUE");
        request.args[item.substr(0, eq)] = item.substr(eq + 1);
    }
    if (b.contains("labels") && b["labels"].is_object()) {
        for (const auto& [k, v] : b["labels"].items()) request.labels[k] = scalar(v);
    }
    if (b.contains("target")) request.target = scalar(b["target"]);
    if (b.contains("network")) request.network = scalar(b["network"]);
    if (b.contains("shm_size")) {
        std::string size = scalar(b["shm_size"]);
        if (!size.empty() && size.find_first_not_of("0123456789") == std::string::npos) request.shm_size = std::stoll(size);
    }
    std::string image = config.contains("image") ? scalar(config["image"]) : project.name + "-" + service;
    request.tags.push_back(image);
    if (b.contains("tags") && b["tags"].is_array()) {
        for (const auto& t : b["tags"]) request.tags.push_back(scalar(t));
    }
    TRY(add_secrets(project, service, b, request));
    if (b.contains("ssh") && b["ssh"].is_object()) {
        for (const auto& [id, path] : b["ssh"].items()) {
            std::string value = path.is_null() || scalar(path).empty() ? id : id + "=" + scalar(path);
            auto ssh = build::parse_ssh_flag(value, ctx.environment, project.working_dir);
            if (!ssh.ok()) return Error("service " + service + ": build.ssh: " + ssh.error().message);
            request.ssh[ssh->first] = ssh->second;
        }
    }
    for (const auto& value : flags.ssh) {  // --ssh: for every service
        auto ssh = TRY(build::parse_ssh_flag(value, ctx.environment, ctx.working_directory));
        request.ssh[ssh.first] = ssh.second;
    }
    request.docker_config = build::docker_config_path(ctx.environment);
    request.no_cache = flags.no_cache || (b.contains("no_cache") && b["no_cache"].is_boolean() && b["no_cache"].get<bool>());
    request.pull = flags.pull;
    request.quiet = flags.quiet;
    return request;
}

Result<void> run_build(Context& ctx, const BuildFlags& flags) {
    project::LoadOptions options = load_options(ctx);
    options.services = flags.services;
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    print_warnings(diagnostics);
    project::Project project = TRY(std::move(loaded));
    std::vector<std::string> names = flags.services.empty() ? project.service_names() : flags.services;
    for (const auto& name : names) {
        if (!project.model["services"].contains(name)) return Error("no such service: " + name);
    }
    for (const auto& name : names) {
        if (!project.service(name).contains("build")) continue;  // image-only services have nothing to build
        build::BuildRequest request = TRY(service_request(ctx, project, name, flags));
        if (!flags.quiet) std::cerr << "Building " << name << " (" << request.tags.front() << ")\n";
        auto id = build::build_image(request, std::cerr);
        if (!id.ok()) return Error("service " + name + ": " + id.error().message);
        if (flags.quiet) std::cout << *id << '\n';
    }
    return ok();
}

}  // namespace

void add_compose_build_commands(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<BuildFlags>();
    CLI::App* cmd = app.add_subcommand("build", "Build or rebuild the services' images");
    cmd->add_option("services", f->services, "Services to build (default: all with a build section)");
    cmd->add_option("--build-arg", f->build_args, "Set a build-time variable for services (KEY=VALUE)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-cache", f->no_cache, "Do not use the cache when building the images");
    cmd->add_option("--ssh", f->ssh, "SSH agent socket or keys for RUN --mount=type=ssh (default or ID=PATH[,PATH])")
        ->allow_extra_args(false);
    cmd->add_flag("--pull", f->pull, "Always pull the base images from their registry");
    cmd->add_flag("-q,--quiet", f->quiet, "Print only the image ids");
    cmd->callback([f, &ctx] { ctx.exit_status = report(run_build(ctx, *f)); });
}

}  // namespace hako::cli
