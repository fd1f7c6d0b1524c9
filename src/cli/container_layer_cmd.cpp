// This file registers `hako container diff` (the container's changes, A/C/D) and
// `hako container commit` (its layer as a new image), docker's flags and output.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/container/commit.h"
#include "engine/store/state_root.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

Result<container::ContainerStore> open_containers(const Context& ctx) {
    return container::ContainerStore::open(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root);
}

}  // namespace

void add_container_layer_commands(CLI::App& noun, Context& ctx) {
    auto diff_ref = std::make_shared<std::string>();
    CLI::App* diff = noun.add_subcommand("diff", "Inspect changes to files or folders on a container's filesystem");
    diff->add_option("container", *diff_ref, "Container name or id")->required();
    diff->callback([diff_ref, &ctx] {
        auto run = [&]() -> Result<void> {
            auto store = TRY(open_containers(ctx));
            auto record = TRY(store.find(*diff_ref));
            auto changes = TRY(container::container_changes(store, record));
            for (const auto& c : changes) std::cout << c.kind << ' ' << c.path << '\n';
            return ok();
        };
        ctx.exit_status = report(run());
    });

    struct CommitFlags {
        std::string container, reference, message, author;
        std::vector<std::string> changes;
        bool pause = true;
    };
    auto f = std::make_shared<CommitFlags>();
    CLI::App* commit = noun.add_subcommand("commit", "Create a new image from a container's changes");
    commit->add_option("container", f->container, "Container name or id")->required();
    commit->add_option("reference", f->reference, "REPOSITORY[:TAG] for the new image");
    commit->add_option("-c,--change", f->changes, "Apply a Dockerfile instruction to the created image")
        ->allow_extra_args(false);
    commit->add_option("-m,--message", f->message, "Commit message");
    commit->add_option("-a,--author", f->author, "Author (e.g. \"Jane Doe <jane@example.com>\")");
    commit->add_flag("-p,--pause,!--no-pause", f->pause, "Accepted for docker compatibility");
    commit->callback([f, &ctx] {
        auto run = [&]() -> Result<void> {
            auto store = TRY(open_containers(ctx));
            auto record = TRY(store.find(f->container));
            container::CommitRequest request{f->reference, f->changes, f->message, f->author};
            auto image = TRY(container::commit_container(store, record, request));
            std::cout << image.id << '\n';
            return ok();
        };
        ctx.exit_status = report(run());
    });
}

}  // namespace hako::cli
