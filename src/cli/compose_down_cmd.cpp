// `hako down`: stops and removes the project's containers (dependents first),
// then its networks (deleted while the containers' folders go), and with -v its
// volumes, with --rmi its images; works from `-p NAME` alone and after every
// monitor was killed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <future>
#include <set>

#include "src/cli/compose_lifecycle_cmd.h"
#include "src/cli/output.h"
#include "src/reconcile/service_spec.h"

namespace hako::cli {

namespace {

struct DownFlags {
    bool volumes = false;
    std::string rmi;
    bool remove_orphans = false;
    std::optional<int> timeout;
    std::vector<std::string> services;
};

Result<void> run_down(Context& ctx, const DownFlags& flags) {
    if (!flags.rmi.empty() && flags.rmi != "local" && flags.rmi != "all")
        return Error::usage("--rmi: invalid value " + flags.rmi + " (local, all)");
    ComposeSession session = TRY(open_session(ctx, flags.services, NeedProject::NameIsEnough));
    auto observed = TRY(session.engine->observe(session.name));
    std::set<std::string> named(flags.services.begin(), flags.services.end());
    std::vector<reconcile::ObservedContainer> containers;
    std::vector<std::string> orphans;
    for (const auto& container : observed.containers) {
        if (!named.empty() && !named.count(container.service)) continue;
        // A service switched off by a profile is still the project's, not an orphan.
        bool orphan = session.project && !session.project->model["services"].contains(container.service) &&
                      std::find(session.project->disabled_services.begin(), session.project->disabled_services.end(),
                                container.service) == session.project->disabled_services.end();
        if (orphan && !flags.remove_orphans) {
            orphans.push_back(container.name);
            continue;
        }
        containers.push_back(container);
    }
    auto progress = TRY(make_progress(ctx, "Running"));
    if (!orphans.empty()) {
        std::string list;
        for (const auto& name : orphans) list += (list.empty() ? "" : ", ") + name;
        progress->note("hako: warning: Found orphan containers ([" + list + "]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.");
    }
    reconcile::StopRequest request = stop_request(session, containers);
    request.timeout = flags.timeout;
    request.remove = true;
    request.remove_anonymous_volumes = flags.volumes;
    // The networks go once every container has stopped: their endpoints left with
    // the monitors, so deleting the bridges (the kernel's unregister takes tens
    // of ms) overlaps the removal of the containers' folders. The lines still
    // come after the containers' and an early failure is retried in order.
    bool remove_networks = named.empty() && orphans.empty() && !observed.networks.empty();
    std::future<std::vector<Result<void>>> early_removal;
    if (remove_networks)
        request.on_all_stopped = [&] {
            early_removal = std::async(std::launch::async, [&] {
                std::vector<Result<void>> removed;
                for (const auto& network : observed.networks)
                    removed.push_back(session.engine->remove_network(network.name));
                return removed;
            });
        };
    Result<void> result = reconcile::stop(request, *session.engine, progress->reporter());
    std::vector<Result<void>> removed_early;
    if (early_removal.valid()) removed_early = early_removal.get();
    if (remove_networks && (result.ok() || !removed_early.empty())) {
        for (size_t i = 0; i < observed.networks.size(); ++i) {
            const auto& network = observed.networks[i];
            bool done_early = i < removed_early.size() && removed_early[i].ok();
            if (!done_early && !result.ok()) continue;
            progress->event({"Network", network.name, "Removing", reconcile::Event::State::Working});
            auto removed = done_early ? ok() : session.engine->remove_network(network.name);
            if (!removed.ok()) {
                progress->event({"Network", network.name, "Error", reconcile::Event::State::Error});
                if (result.ok()) result = std::move(removed).error().context("network " + network.name);
                continue;
            }
            progress->event({"Network", network.name, "Removed", reconcile::Event::State::Done});
        }
    }
    if (result.ok() && flags.volumes && named.empty()) {
        for (const auto& volume : observed.volumes) {
            progress->event({"Volume", volume.name, "Removing", reconcile::Event::State::Working});
            auto removed = session.engine->remove_volume(volume.name);
            if (!removed.ok()) {
                progress->event({"Volume", volume.name, "Error", reconcile::Event::State::Error});
                if (result.ok()) result = std::move(removed).error().context("volume " + volume.name);
                continue;
            }
            progress->event({"Volume", volume.name, "Removed", reconcile::Event::State::Done});
        }
    }
    if (result.ok() && !flags.rmi.empty() && session.project) {
        std::set<std::string> images;
        for (const auto& service : session.project->service_names()) {
            const auto& config = session.project->service(service);
            bool built = !config.contains("image");
            if (flags.rmi == "all" || built) images.insert(reconcile::service_image(*session.project, service));
        }
        for (const auto& image : images) {
            if (TRY(session.engine->image_id(image)).empty()) continue;
            auto removed = session.engine->remove_image(image);
            if (!removed.ok()) {
                progress->note("hako: warning: image " + image + ": " + removed.error().message);
                continue;
            }
            progress->event({"Image", image, "Removed", reconcile::Event::State::Done});
        }
    }
    progress->finish();
    return result;
}

}  // namespace

void add_compose_down_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<DownFlags>();
    CLI::App* cmd = app.add_subcommand("down", "Stop and remove containers, networks");
    cmd->add_option("services", flags->services, "Services to act on (default: all)")->type_name("SERVICE");
    cmd->add_flag("-v,--volumes", flags->volumes, "Remove named volumes declared in the volumes section and anonymous volumes");
    cmd->add_option("--rmi", flags->rmi, "Remove images used by services: \"local\" (built) or \"all\"");
    cmd->add_flag("--remove-orphans", flags->remove_orphans, "Remove containers for services not defined in the file");
    cmd->add_option("-t,--timeout", flags->timeout, "Shutdown timeout in seconds");
    cmd->callback([flags, &ctx] { ctx.exit_status = report(run_down(ctx, *flags)); });
}

}  // namespace hako::cli
