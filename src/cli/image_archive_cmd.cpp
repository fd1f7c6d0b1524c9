// `hako image save` and `hako image load`: images to and from docker-archive / OCI
// archive tars (engine/image/archive.h), on a file or the standard streams; and
// `hako image pull` and `push` with a registry (engine/image/registry.h).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/build/build_flags.h"
#include "engine/container/image_usage.h"
#include "engine/image/archive.h"
#include "engine/image/pull_progress.h"
#include "engine/image/reference.h"
#include "engine/image/registry.h"
#include "engine/sys/fd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

Result<image::ImageStore> open_store(const Context& ctx) {
    return container::open_image_store_with_usage(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root);
}

void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

// Writes the archive to FILE.tmp-PID and renames it, so a failed save leaves no
// half-written FILE behind.
Result<void> save(const Context& ctx, const std::vector<std::string>& refs, const std::string& output) {
    auto store = TRY(open_store(ctx));
    if (output.empty() || output == "-") {
        if (::isatty(STDOUT_FILENO))
            return Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
        return image::save_images(store, refs, STDOUT_FILENO);
    }
    std::string temp = output + ".tmp-" + std::to_string(::getpid());
    sys::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return Error::from_syscall("open", errno, temp);
    auto saved = image::save_images(store, refs, fd.get());
    if (saved.ok() && ::fsync(fd.get()) != 0) saved = Error::from_syscall("fsync", errno, temp);
    fd.reset();
    if (saved.ok() && ::rename(temp.c_str(), output.c_str()) != 0) saved = Error::from_syscall("rename", errno, output);
    if (!saved.ok()) ::unlink(temp.c_str());
    return saved;
}

Result<void> load(const Context& ctx, const std::string& input, bool quiet) {
    auto store = TRY(open_store(ctx));
    sys::UniqueFd file;
    int fd = STDIN_FILENO;
    if (!input.empty() && input != "-") {
        file.reset(::open(input.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file) return Error::from_syscall("open", errno, input);
        fd = file.get();
    } else if (::isatty(STDIN_FILENO)) {
        return Error("requested load from stdin, but stdin is empty");
    }
    auto loaded = TRY(image::load_images(store, fd));
    for (const auto& image : loaded) {
        if (image.tags.empty() && !quiet) std::cout << "Loaded image ID: " << image.id << "\n";
        for (const auto& tag : image.tags)
            if (!quiet) std::cout << "Loaded image: " << tag << "\n";
    }
    return ok();
}


Result<void> pull(const Context& ctx, const std::string& ref, const std::vector<std::string>& insecure, bool quiet) {
    auto store = TRY(open_store(ctx));
    auto parsed = TRY(image::parse_reference(ref));
    if (parsed.tag.empty() && parsed.digest.empty() && !quiet) std::cout << "Using default tag: latest\n";
    image::PullOptions options;
    options.insecure_registries = insecure;
    options.docker_config = build::docker_config_path(ctx.environment);
    // Layers on a terminal redraw in place; --progress plain (or a pipe) prints lines.
    const std::string& mode = ctx.global.progress;
    bool tty = mode == "tty" || (mode == "auto" && ctx.global.ansi != "never" &&
                                 (ctx.global.ansi == "always" || ::isatty(STDOUT_FILENO)));
    std::cout << std::flush;
    image::PullProgressView view(stdout, tty);
    if (!quiet && mode != "quiet") {
        options.progress = view.line_sink();
        options.layer_progress = view.layer_sink();
    }
    auto pulled = TRY(image::pull_image(store, ref, options));
    auto full = TRY(image::parse_reference_with_default_tag(ref));
    std::string familiar = full.familiar_name() + (full.digest.empty() ? ":" + full.tag : "@" + full.digest);
    if (!quiet)
        std::cout << "Status: " << (pulled.downloaded ? "Downloaded newer image for " : "Image is up to date for ")
                  << familiar << "\n";
    std::cout << full.str() << "\n";
    return ok();
}

Result<void> push(const Context& ctx, const std::string& ref, const std::vector<std::string>& insecure, bool quiet,
                  size_t chunk_size) {
    auto store = TRY(open_store(ctx));
    image::PushOptions options;
    if (chunk_size > 0) options.chunk_size = chunk_size;
    options.insecure_registries = insecure;
    options.docker_config = build::docker_config_path(ctx.environment);
    if (!quiet) options.progress = [](const std::string& line) { std::cout << line << std::endl; };
    std::string digest = TRY(image::push_image(store, ref, options));
    if (quiet) std::cout << digest << "\n";
    return ok();
}

}  // namespace

void add_image_archive_commands(CLI::App& noun, Context& ctx) {
    struct SaveFlags {
        std::vector<std::string> images;
        std::string output;
    };
    auto s = std::make_shared<SaveFlags>();
    CLI::App* save_cmd = noun.add_subcommand("save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
    save_cmd->add_option("-o,--output", s->output, "Write to a file, instead of STDOUT");
    save_cmd->add_option("IMAGE", s->images, "Images")->required();
    save_cmd->callback([&ctx, s] {
        auto done = save(ctx, s->images, s->output);
        if (!done.ok()) return fail(ctx, std::move(done).error());
        ctx.exit_status = 0;
    });

    struct LoadFlags {
        std::string input;
        bool quiet = false;
    };
    auto l = std::make_shared<LoadFlags>();
    CLI::App* load_cmd = noun.add_subcommand("load", "Load an image from a tar archive or STDIN");
    load_cmd->add_option("-i,--input", l->input, "Read from tar archive file, instead of STDIN");
    load_cmd->add_flag("-q,--quiet", l->quiet, "Suppress the load output");
    load_cmd->callback([&ctx, l] {
        auto done = load(ctx, l->input, l->quiet);
        if (!done.ok()) return fail(ctx, std::move(done).error());
        ctx.exit_status = 0;
    });

    struct PullFlags {
        std::string image;
        std::vector<std::string> insecure;
        bool quiet = false;
    };
    auto p = std::make_shared<PullFlags>();
    CLI::App* pull_cmd = noun.add_subcommand("pull", "Download an image from a registry");
    pull_cmd->add_flag("-q,--quiet", p->quiet, "Suppress verbose output");
    pull_cmd->add_option("--insecure-registry", p->insecure, "Use plain HTTP for this registry (host:port)")->expected(1);
    pull_cmd->add_option("NAME", p->image, "NAME[:TAG|@DIGEST]")->required();
    pull_cmd->callback([&ctx, p] {
        auto done = pull(ctx, p->image, p->insecure, p->quiet);
        if (!done.ok()) return fail(ctx, std::move(done).error());
        ctx.exit_status = 0;
    });

    struct PushFlags : PullFlags {
        size_t chunk_size = 0;
    };
    auto u = std::make_shared<PushFlags>();
    CLI::App* push_cmd = noun.add_subcommand("push", "Upload an image to a registry");
    push_cmd->add_flag("-q,--quiet", u->quiet, "Suppress verbose output");
    push_cmd->add_option("--insecure-registry", u->insecure, "Use plain HTTP for this registry (host:port)")->expected(1);
    push_cmd->add_option("--chunk-size", u->chunk_size, "Upload blobs in PATCH chunks of this many bytes (default 4 MiB)");
    push_cmd->add_option("NAME", u->image, "NAME[:TAG]")->required();
    push_cmd->callback([&ctx, u] {
        auto done = push(ctx, u->image, u->insecure, u->quiet, u->chunk_size);
        if (!done.ok()) return fail(ctx, std::move(done).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
