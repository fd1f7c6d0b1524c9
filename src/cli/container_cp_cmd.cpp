// `hako container cp`, `rename`, `top` and `prune`: docker's verbs that act on one
// container's files, name or processes, or on every stopped container.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "engine/container/container_store.h"
#include "engine/container/copy.h"
#include "engine/container/prune.h"
#include "engine/container/rename.h"
#include "engine/container/top.h"
#include "engine/store/state_root.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

using container::ContainerStore;

Result<ContainerStore> open_store(const Context& ctx) {
    return ContainerStore::open(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root);
}

void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

// docker's splitCpArg: an absolute path or one starting with "." is local, as is
// anything without a colon; otherwise CONTAINER:PATH.
struct CpArg {
    std::string container;
    std::string path;
};
CpArg split_cp_arg(const std::string& arg) {
    if (!arg.empty() && arg[0] == '/') return {"", arg};
    size_t colon = arg.find(':');
    if (colon == std::string::npos || arg[0] == '.') return {"", arg};
    return {arg.substr(0, colon), arg.substr(colon + 1)};
}

Result<void> run_cp(const Context& ctx, const std::string& source, const std::string& destination,
                    const container::CopyOptions& options) {
    CpArg from = split_cp_arg(source), to = split_cp_arg(destination);
    if (!from.container.empty() && !to.container.empty())
        return Error::usage("copying between containers is not supported");
    if (from.container.empty() && to.container.empty())
        return Error::usage("must specify at least one container source");
    auto store = TRY(open_store(ctx));
    if (!from.container.empty()) {
        auto record = TRY(store.find(from.container));
        return container::copy_from_container(store, record, from.path, to.path, STDOUT_FILENO, options);
    }
    auto record = TRY(store.find(to.container));
    return container::copy_to_container(store, record, from.path, STDIN_FILENO, to.path, options);
}

void add_cp(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string source, destination;
        container::CopyOptions options;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
    cmd->add_flag("-a,--archive", f->options.archive, "Archive mode (copy all uid/gid information)");
    cmd->add_flag("-L,--follow-link", f->options.follow_link, "Always follow symbol link in SRC_PATH");
    cmd->add_option("SRC", f->source, "CONTAINER:SRC_PATH, a local path, or - (a tar on stdin)")->required();
    cmd->add_option("DEST", f->destination, "CONTAINER:DEST_PATH, a local path, or - (a tar on stdout)")->required();
    cmd->callback([&ctx, f] {
        auto done = run_cp(ctx, f->source, f->destination, f->options);
        if (!done.ok()) return fail(ctx, std::move(done).error());
        ctx.exit_status = 0;
    });
}

void add_rename(CLI::App& noun, Context& ctx) {
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmd = noun.add_subcommand("rename", "Rename a container");
    cmd->add_option("CONTAINER", names->first, "The container")->required();
    cmd->add_option("NEW_NAME", names->second, "Its new name")->required();
    cmd->callback([&ctx, names] {
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto done = container::rename_container(*store, names->first, names->second);
        if (!done.ok()) return fail(ctx, std::move(done).error());
        ctx.exit_status = 0;
    });
}

void add_top(CLI::App& noun, Context& ctx) {
    auto ref = std::make_shared<std::string>();
    CLI::App* cmd = noun.add_subcommand("top", "Display the running processes of a container");
    cmd->add_option("CONTAINER", *ref, "The container")->required();
    // Everything after the container goes to ps, flags included.
    cmd->prefix_command();
    cmd->fallthrough(false);
    cmd->callback([&ctx, ref, cmd] {
        std::vector<std::string> ps_args = cmd->remaining();
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto record = store->find(*ref);
        if (!record.ok()) return fail(ctx, std::move(record).error());
        auto table = container::top_container(*store, *record, ps_args);
        if (!table.ok()) return fail(ctx, std::move(table).error());
        std::vector<std::vector<std::string>> rows = {table->titles};
        rows.insert(rows.end(), table->processes.begin(), table->processes.end());
        std::cout << format_table(rows);
        ctx.exit_status = 0;
    });
}

// docker's units.HumanSize: four significant digits, decimal units.
std::string human_size(int64_t bytes) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double size = double(bytes);
    size_t unit = 0;
    while (size >= 1000 && unit + 1 < std::size(units)) {
        size /= 1000;
        ++unit;
    }
    char text[64];
    std::snprintf(text, sizeof text, "%.4g%s", size, units[unit]);
    return text;
}

void add_prune(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool force = false;
        std::vector<std::string> filters;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("prune", "Remove all stopped containers");
    cmd->add_flag("-f,--force", f->force, "Do not prompt for confirmation");
    cmd->add_option("--filter", f->filters, "Provide filter values (e.g. until=24h, label=key=value)");
    cmd->callback([&ctx, f] {
        auto filter = container::parse_prune_filters(f->filters, std::time(nullptr));
        if (!filter.ok()) return fail(ctx, std::move(filter).error());
        if (!f->force) {
            std::cout << "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
                      << std::flush;
            std::string answer;
            std::getline(std::cin, answer);
            if (answer != "y" && answer != "Y" && answer != "yes") {
                ctx.exit_status = 0;
                return;
            }
        }
        auto store = open_store(ctx);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto pruned = container::prune_containers(*store, *filter);
        if (!pruned.ok()) return fail(ctx, std::move(pruned).error());
        if (!pruned->deleted.empty()) {
            std::cout << "Deleted Containers:\n";
            for (const auto& id : pruned->deleted) std::cout << id << "\n";
            std::cout << "\n";
        }
        std::cout << "Total reclaimed space: " << human_size(pruned->reclaimed_bytes) << std::endl;
        ctx.exit_status = 0;
    });
}

}  // namespace

void add_container_cp_commands(CLI::App& noun, Context& ctx) {
    add_cp(noun, ctx);
    add_rename(noun, ctx);
    add_top(noun, ctx);
    add_prune(noun, ctx);
}

}  // namespace hako::cli
