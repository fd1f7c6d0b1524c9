// `hako images [SERVICE…]`: the image each container of the project uses, as
// docker compose images lists them (table, json or ids).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/container/stats.h"
#include "engine/image/image_store.h"
#include "engine/image/reference.h"
#include "engine/store/state_root.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

struct ImagesFlags {
    bool quiet = false;
    std::string format = "table";
    std::vector<std::string> services;
};

Result<void> run_images(const Context& ctx, const ImagesFlags& flags) {
    if (flags.format != "table" && flags.format != "json")
        return Error::usage("unsupported --format " + flags.format + ": table or json");
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    image::ImageStore images = TRY(image::ImageStore::open(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root));
    Selection selection;
    selection.services = flags.services;
    auto containers = TRY(select_containers(store, target, selection));
    std::vector<std::vector<std::string>> table = {{"CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"}};
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    std::set<std::string> ids;
    std::string quiet;
    for (const auto& c : containers) {
        std::string repository = c.record.image, tag;
        if (auto reference = image::parse_reference_with_default_tag(c.record.image); reference.ok()) {
            repository = reference->familiar_name();
            tag = reference->tag;
        }
        int64_t size = 0;
        if (auto record = images.record(c.record.image_id); record.ok()) size = record->size;
        std::string short_id = c.record.image_id.size() > 19 ? c.record.image_id.substr(7, 12) : c.record.image_id;
        table.push_back({c.record.name, repository, tag, short_id, container::human_size(static_cast<double>(size), false)});
        array.push_back({{"ID", c.record.image_id},
                         {"ContainerName", c.record.name},
                         {"Repository", repository},
                         {"Tag", tag},
                         {"Size", size}});
        if (ids.insert(c.record.image_id).second) quiet += c.record.image_id + "\n";
    }
    if (flags.quiet) std::cout << quiet;
    else if (flags.format == "json") std::cout << array.dump() << "\n";
    else std::cout << format_table(table);
    std::cout.flush();
    return ok();
}

}  // namespace

void add_compose_images_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<ImagesFlags>();
    CLI::App* cmd = app.add_subcommand("images", "List images used by the created containers");
    cmd->add_flag("-q,--quiet", flags->quiet, "Only display IDs");
    cmd->add_option("--format", flags->format, "Format the output: table (default) or json");
    cmd->add_option("SERVICE", flags->services, "Services");
    cmd->callback([&ctx, flags] {
        auto result = run_images(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
