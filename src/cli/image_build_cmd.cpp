// This file registers `hako image build`: docker build's flags into a
// build::BuildRequest, progress on stderr, the image id on stdout with -q.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/build/build_flags.h"
#include "engine/build/builder.h"
#include "engine/container/options.h"
#include "engine/store/state_root.h"
#include "src/cli/build_tty_view.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

// "K=V" → (K, V); a bare "K" takes the value from the environment (docker's rule),
// and is dropped when the environment has none.
Result<void> parse_build_args(const std::vector<std::string>& items, const Context& ctx, const char* flag,
                              std::map<std::string, std::string>& out, bool from_environment) {
    for (const auto& item : items) {
        size_t eq = item.find('=');
        std::string key = item.substr(0, eq);
        if (key.empty()) return Error::usage(std::string("invalid argument \"") + item + "\" for \"" + flag + "\": empty name");
        if (eq != std::string::npos) {
            out[key] = item.substr(eq + 1);
        } else if (from_environment) {
            if (auto it = ctx.environment.find(key); it != ctx.environment.end()) out[key] = it->second;
        } else {
            out[key] = "";
        }
    }
    return ok();
}

}  // namespace

void add_image_build_commands(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string context;
        std::vector<std::string> tags, build_args, labels, secrets, ssh;
        std::string file, target, network, progress = "auto", shm_size;
        bool no_cache = false, pull = false, quiet = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("build", "Build an image from a Dockerfile");
    cmd->add_option("context", f->context, "The build context folder")->required();
    cmd->add_option("-t,--tag", f->tags, "Name and optionally a tag (NAME[:TAG])")->allow_extra_args(false);
    cmd->add_option("-f,--file", f->file, "Name of the Dockerfile (default: CONTEXT/Dockerfile)");
    cmd->add_option("--build-arg", f->build_args, "Set a build-time variable (K=V, or K from the environment)")
        ->allow_extra_args(false);
    cmd->add_option("--label", f->labels, "Set metadata for the image (K=V)")->allow_extra_args(false);
    cmd->add_option("--target", f->target, "Set the target build stage to build");
    cmd->add_option("--network", f->network, "Network for RUN: default, none, host or a hako network's name");
    cmd->add_option("--progress", f->progress, "auto, plain or tty");
    cmd->add_option("--shm-size", f->shm_size, "Size of /dev/shm for RUN");
    cmd->add_flag("--no-cache", f->no_cache, "Do not use the cache when building the image");
    cmd->add_option("--secret", f->secrets, "Secret to expose to RUN --mount=type=secret (id=ID,src=PATH or id=ID,env=VAR)")
        ->allow_extra_args(false);
    cmd->add_option("--ssh", f->ssh, "SSH agent socket or keys for RUN --mount=type=ssh (default or ID=PATH[,PATH])")
        ->allow_extra_args(false);
    cmd->add_flag("--pull", f->pull, "Always pull the base images from their registry");
    cmd->add_flag("-q,--quiet", f->quiet, "Suppress the build output and print the image id on success");
    cmd->callback([f, &ctx] {
        build::BuildRequest request;
        request.root = ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root;
        std::filesystem::path context = f->context;
        if (context.is_relative()) context = ctx.working_directory / context;
        request.context = context;
        if (!f->file.empty()) {
            std::filesystem::path file = f->file;
            // -f is relative to the current folder, as docker build has it.
            request.dockerfile = (file.is_relative() ? ctx.working_directory / file : file).string();
        }
        if (auto r = parse_build_args(f->build_args, ctx, "--build-arg", request.args, true); !r.ok()) {
            ctx.exit_status = report(r);
            return;
        }
        if (auto r = parse_build_args(f->labels, ctx, "--label", request.labels, false); !r.ok()) {
            ctx.exit_status = report(r);
            return;
        }
        if (f->progress != "auto" && f->progress != "plain" && f->progress != "tty" && f->progress != "quiet") {
            ctx.exit_status = report(Result<void>(Error::usage("invalid --progress \"" + f->progress + "\": use auto, plain or tty")));
            return;
        }
        if (!f->shm_size.empty()) {
            auto size = container::parse_memory_size(f->shm_size);
            if (!size.ok()) {
                ctx.exit_status = report(Result<void>(Error::usage("invalid --shm-size: " + size.error().message)));
                return;
            }
            request.shm_size = *size;
        }
        auto failed = [&ctx](Error error) { ctx.exit_status = report(Result<void>(std::move(error))); };
        for (const auto& value : f->secrets) {
            auto secret = build::parse_secret_flag(value, ctx.environment, ctx.working_directory);
            if (!secret.ok()) return failed(std::move(secret).error());
            request.secrets[secret->first] = secret->second;
        }
        for (const auto& value : f->ssh) {
            auto ssh = build::parse_ssh_flag(value, ctx.environment, ctx.working_directory);
            if (!ssh.ok()) return failed(std::move(ssh).error());
            request.ssh[ssh->first] = ssh->second;
        }
        request.docker_config = build::docker_config_path(ctx.environment);
        request.target = f->target;
        request.tags = f->tags;
        request.no_cache = f->no_cache;
        request.pull = f->pull;
        request.quiet = f->quiet || f->progress == "quiet";
        request.network = f->network;
        bool tty = f->progress == "tty" || (f->progress == "auto" && ::isatty(STDERR_FILENO));
        request.progress = tty ? "tty" : "plain";
        BuildTtyView view(stderr);
        std::ostream tty_stream(&view);
        auto id = build::build_image(request, tty && !request.quiet ? tty_stream : std::cerr);
        if (tty && !request.quiet) view.finish(!id.ok());
        if (!id.ok()) {
            ctx.exit_status = report(Result<void>(std::move(id).error()));
            return;
        }
        if (f->quiet) std::cout << *id << '\n';
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
