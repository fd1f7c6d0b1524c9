// This file implements the project verbs' choice of project and containers
// (compose_select.h).
#include "src/cli/compose_select.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "engine/container/lifecycle.h"
#include "engine/store/state_root.h"
#include "src/cli/global_options.h"
#include "src/cli/output.h"
#include "src/project/discovery.h"
#include "src/project/project_name.h"

namespace hako::cli {

bool ProjectTarget::knows_service(const std::string& service) const {
    if (!project) return true;
    const auto& services = project->model.value("services", project::Json::object());
    if (services.contains(service)) return true;
    const auto& disabled = project->disabled_services;
    return std::find(disabled.begin(), disabled.end(), service) != disabled.end();
}

Result<ProjectTarget> resolve_project(const Context& ctx) {
    project::LoadOptions options = load_options(ctx);
    std::optional<std::string> name = ctx.global.project_name;
    if (!name) {
        auto it = ctx.environment.find("COMPOSE_PROJECT_NAME");
        if (it != ctx.environment.end() && !it->second.empty()) name = it->second;
    }
    if (name && ctx.global.files.empty()) {
        // No file given and none around: the name alone selects the containers.
        auto located = project::locate_project(options);
        if (!located.ok()) {
            if (!project::is_valid_project_name(*name))
                return Error::usage("invalid project name \"" + *name +
                                    "\": lowercase letters, digits, dashes and underscores, starting with a "
                                    "letter or digit");
            return ProjectTarget{*name, std::nullopt};
        }
    }
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    print_warnings(diagnostics);
    if (!loaded.ok()) return std::move(loaded).error();
    ProjectTarget target;
    target.name = loaded->name;
    target.project = std::move(loaded).value();
    return target;
}

std::string ServiceContainer::short_name(const std::string& project) const {
    const std::string& name = record.name;
    if (name.size() > project.size() + 1 && name.compare(0, project.size(), project) == 0 &&
        (name[project.size()] == '-' || name[project.size()] == '_'))
        return name.substr(project.size() + 1);
    return name;
}

bool ServiceContainer::running() const { return container::is_running(state); }

namespace {

std::string label(const container::ContainerRecord& record, const std::string& key) {
    auto it = record.labels.find(key);
    return it == record.labels.end() ? std::string() : it->second;
}

int parse_number(const std::string& text) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

}  // namespace

Result<std::vector<ServiceContainer>> select_containers(const container::ContainerStore& store,
                                                        const ProjectTarget& target, const Selection& selection) {
    for (const auto& service : selection.services)
        if (!target.knows_service(service)) return Error("no such service: " + service);
    auto records = TRY(store.list());
    std::vector<ServiceContainer> selected;
    std::vector<std::string> services_seen;  // of every container of the project
    for (auto& record : records) {
        if (label(record, "hako.project") != target.name) continue;
        ServiceContainer c;
        c.service = label(record, "hako.service");
        services_seen.push_back(c.service);
        c.number = parse_number(label(record, "hako.container-number"));
        std::string oneoff = label(record, "hako.oneoff");
        c.oneoff = oneoff == "True" || oneoff == "true";
        if (c.oneoff && !selection.include_oneoff) continue;
        if (!selection.services.empty() &&
            std::find(selection.services.begin(), selection.services.end(), c.service) == selection.services.end())
            continue;
        if (selection.index && (c.oneoff || c.number != *selection.index)) continue;
        c.state = store.observed_state(record.id);
        if (!selection.include_stopped && !container::is_running(c.state)) continue;
        c.record = std::move(record);
        selected.push_back(std::move(c));
    }
    // Known only by name, the project's services are those its containers carry.
    if (!target.project)
        for (const auto& service : selection.services)
            if (std::find(services_seen.begin(), services_seen.end(), service) == services_seen.end())
                return Error("no such service: " + service);
    std::sort(selected.begin(), selected.end(), [](const ServiceContainer& a, const ServiceContainer& b) {
        if (a.oneoff != b.oneoff) return !a.oneoff;
        if (a.service != b.service) return a.service < b.service;
        if (a.number != b.number) return a.number < b.number;
        return a.record.name < b.record.name;
    });
    if (selection.index && selected.empty()) {
        std::string service = selection.services.empty() ? std::string() : selection.services.front();
        return Error("service \"" + service + "\" is not running container #" + std::to_string(*selection.index));
    }
    return selected;
}

Result<container::ContainerStore> open_container_store(const Context& ctx) {
    return container::ContainerStore::open(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root);
}

LogSource log_source(const container::ContainerStore& store, const ServiceContainer& container,
                     const std::string& project) {
    return LogSource{container.record.id, container.short_name(project), store.log_path(container.record.id)};
}

void fail_verb(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

bool use_color(const Context& ctx) {
    if (ctx.global.ansi == "never") return false;
    if (ctx.global.ansi == "always") return true;
    auto it = ctx.environment.find("NO_COLOR");
    if (it != ctx.environment.end() && !it->second.empty()) return false;
    return ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace hako::cli
