// This file implements the planner (plan.h): which containers to create,
// recreate, start, restart, keep or remove, decided from config hashes, image
// ids, scale and shared namespaces, with no engine call, so it prints the same
// plan for the same inputs.
#include "src/reconcile/plan.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "engine/sys/digest.h"
#include "src/graph/graph.h"
#include "src/project/config_hash.h"
#include "src/reconcile/service_spec.h"

namespace hako::reconcile {

namespace {

using project::Json;

const Json& section(const Json& model, const char* key) {
    static const Json empty = Json::object();
    return model.contains(key) && model[key].is_object() ? model[key] : empty;
}

bool is_external(const Json& definition) {
    return definition.is_object() && definition.contains("external") &&
           (definition["external"] == true || definition["external"].is_object());
}

std::string definition_hash(const Json& definition) {
    return sys::sha256_digest((definition.is_null() ? Json::object() : definition).dump()).substr(7);
}

// What a service needs of the project's networks and volumes.
void used_resources(const Json& service, std::set<std::string>& networks, std::set<std::string>& volumes) {
    if (service.contains("networks") && service["networks"].is_object())
        for (auto it = service["networks"].begin(); it != service["networks"].end(); ++it) networks.insert(it.key());
    if (service.contains("volumes"))
        for (const auto& volume : service["volumes"])
            if (volume.value("type", "") == "volume" && !volume.value("source", "").empty())
                volumes.insert(volume["source"].get<std::string>());
}

std::string waits_text(const std::vector<Wait>& waits) {
    std::string out;
    for (const auto& wait : waits) {
        out += (out.empty() ? " after " : ",") + wait.service + ":" + wait.condition;
        if (!wait.required) out += "(optional)";
    }
    return out;
}

}  // namespace

const char* to_string(Action action) {
    switch (action) {
        case Action::Create: return "create";
        case Action::Recreate: return "recreate";
        case Action::Start: return "start";
        case Action::Restart: return "restart";
        case Action::Keep: return "running";
        case Action::Remove: return "remove";
    }
    return "?";
}

Labels resource_labels(const project::Project& project, const char* kind_label, const std::string& key) {
    const char* section_name = std::string(kind_label) == kNetworkLabel ? "networks" : "volumes";
    const Json& definitions = section(project.model, section_name);
    Json definition = definitions.contains(key) ? definitions[key] : Json::object();
    Labels labels;
    if (definition.is_object() && definition.contains("labels") && definition["labels"].is_object())
        for (auto it = definition["labels"].begin(); it != definition["labels"].end(); ++it)
            labels[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    labels[kProjectLabel] = project.name;
    labels[kind_label] = key;
    labels[kConfigHashLabel] = definition_hash(definition);
    return labels;
}

Result<std::vector<std::string>> selected_services(const project::Project& project,
                                                   const std::vector<std::string>& named, bool no_deps) {
    graph::ProjectGraph graph = TRY(graph::build_graph(project));
    std::vector<std::string> order = graph.start_order();
    if (named.empty()) return order;
    std::set<std::string> keep;
    std::vector<std::string> pending;
    for (const auto& name : named) {
        if (!project.model["services"].contains(name)) return Error("no such service: " + name);
        pending.push_back(name);
    }
    while (!pending.empty()) {
        std::string name = std::move(pending.back());
        pending.pop_back();
        if (!keep.insert(name).second || no_deps) continue;
        for (auto& dependency : graph.dependencies(name))
            if (project.model["services"].contains(dependency)) pending.push_back(dependency);
    }
    std::vector<std::string> out;
    for (const auto& name : order)
        if (keep.count(name)) out.push_back(name);
    return out;
}

Result<Plan> plan(const project::Project& project, const PlanInput& input, const PlanOptions& options) {
    Plan result;
    result.project = project.name;
    std::vector<std::string> services = TRY(selected_services(project, options.services, options.no_deps));
    std::set<std::string> selected(services.begin(), services.end());
    std::set<std::string> named(options.services.begin(), options.services.end());
    for (const auto& [service, count] : options.scale) {
        if (!project.model["services"].contains(service)) return Error("--scale: no such service: " + service);
        if (count < 0) return Error("--scale: " + service + ": the number of containers cannot be negative");
    }

    // Networks and volumes the selected services use.
    std::set<std::string> network_keys, volume_keys;
    for (const auto& service : services) used_resources(project.service(service), network_keys, volume_keys);
    for (const auto& key : network_keys) {
        const Json& definition = section(project.model, "networks").value(key, Json::object());
        ResourceStep step{network_name(project, key), key, is_external(definition), false, ""};
        NetworkRequest request;
        request.name = step.name;
        request.labels = resource_labels(project, kNetworkLabel, key);
        if (definition.is_object()) {
            request.driver = definition.value("driver", "bridge");
            if (definition.contains("ipam") && definition["ipam"].contains("config"))
                for (const auto& config : definition["ipam"]["config"]) request.ipam_config.push_back(config);
            request.internal = definition.value("internal", false);
            request.enable_ipv6 = definition.value("enable_ipv6", false);
            request.attachable = definition.value("attachable", false);
            if (definition.contains("driver_opts") && definition["driver_opts"].is_object())
                for (auto it = definition["driver_opts"].begin(); it != definition["driver_opts"].end(); ++it)
                    request.options[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
        }
        auto found = std::find_if(input.observed.networks.begin(), input.observed.networks.end(),
                                  [&](const ObservedNetwork& n) { return n.name == step.name; });
        if (found == input.observed.networks.end()) {
            step.create = !step.external;
        } else if (!step.external && found->labels.count(kConfigHashLabel) &&
                   found->labels.at(kConfigHashLabel) != request.labels[kConfigHashLabel]) {
            step.note = "changed (run `hako down` to apply the new definition)";
            result.warnings.push_back("network " + step.name + " has changed since it was created; run `hako down` to apply the new definition");
        }
        result.networks.emplace_back(std::move(step), std::move(request));
    }
    for (const auto& key : volume_keys) {
        const Json& definition = section(project.model, "volumes").value(key, Json::object());
        ResourceStep step{volume_name(project, key), key, is_external(definition), false, ""};
        VolumeRequest request;
        request.name = step.name;
        request.labels = resource_labels(project, kVolumeLabel, key);
        if (definition.is_object()) {
            request.driver = definition.value("driver", "local");
            if (definition.contains("driver_opts") && definition["driver_opts"].is_object())
                for (auto it = definition["driver_opts"].begin(); it != definition["driver_opts"].end(); ++it)
                    request.driver_opts[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
        }
        auto found = std::find_if(input.observed.volumes.begin(), input.observed.volumes.end(),
                                  [&](const ObservedVolume& v) { return v.name == step.name; });
        if (found == input.observed.volumes.end()) {
            step.create = !step.external;
        } else if (!step.external && found->labels.count(kConfigHashLabel) &&
                   found->labels.at(kConfigHashLabel) != request.labels[kConfigHashLabel]) {
            step.note = "changed (remove it to apply the new definition)";
            result.warnings.push_back("volume " + step.name + " has changed since it was created; remove it to apply the new definition");
        }
        result.volumes.emplace_back(std::move(step), std::move(request));
    }

    // Images: each reference once, pulled or built when absent (or forced).
    std::set<std::string> seen_images;
    for (const auto& service : services) {
        const Json& config = project.service(service);
        std::string reference = service_image(project, service);
        bool has_build = config.contains("build");
        std::string policy = options.pull.empty() ? config.value("pull_policy", "") : options.pull;
        auto id = input.image_ids.find(reference);
        bool present = id != input.image_ids.end() && !id->second.empty();
        ImageStep step;
        step.reference = reference;
        step.service = service;
        step.request = ImageRequest{service, reference, policy, has_build ? config["build"] : Json(), options.build,
                                    options.no_build};
        if (has_build && !options.no_build && (options.build || policy == "build" || !present)) {
            step.how = "build";
        } else if (policy == "always" || (!present && policy != "never")) {
            step.how = "pull";
        } else if (!present) {
            return Error("service " + service + ": image " + reference + " is not present and pull_policy is never");
        } else {
            continue;
        }
        if (seen_images.insert(reference + "\n" + step.how).second) result.images.push_back(std::move(step));
    }
    std::set<std::string> changing_images;
    for (const auto& image : result.images) changing_images.insert(image.reference);

    // Containers, service by service in start order, so what a service shares
    // with or restarts for is decided before it.
    std::map<std::string, std::vector<const ObservedContainer*>> by_service;
    for (const auto& container : input.observed.containers) {
        if (container.oneoff) continue;
        by_service[container.service].push_back(&container);
        auto first = result.first_container.find(container.service);
        if (first == result.first_container.end()) result.first_container[container.service] = container.id;
    }
    std::set<std::string> recreated, restarted;
    std::set<std::string> dependencies_of_named;
    if (!named.empty())
        for (const auto& service : services)
            if (!named.count(service)) dependencies_of_named.insert(service);

    for (const auto& service : services) {
        const Json& config = project.service(service);
        ServicePlan plan_of_service;
        plan_of_service.service = service;
        plan_of_service.start = !options.no_start;
        if (config.contains("depends_on") && config["depends_on"].is_object()) {
            for (auto it = config["depends_on"].begin(); it != config["depends_on"].end(); ++it) {
                if (!selected.count(it.key())) continue;
                plan_of_service.waits.push_back(Wait{it.key(), it.value().value("condition", "service_started"),
                                                     it.value().value("required", true)});
            }
        }
        int scale = service_scale(config);
        if (auto it = options.scale.find(service); it != options.scale.end()) scale = it->second;
        std::string hash = project::config_hash(config);
        std::string reference = service_image(project, service);
        auto image = input.image_ids.find(reference);
        std::string image_id = image == input.image_ids.end() ? "" : image->second;

        std::vector<const ObservedContainer*> existing = by_service[service];
        std::sort(existing.begin(), existing.end(),
                  [](const ObservedContainer* a, const ObservedContainer* b) { return a->number < b->number; });
        // Scale down: the highest numbers go.
        while (static_cast<int>(existing.size()) > scale) {
            const ObservedContainer* gone = existing.back();
            existing.pop_back();
            plan_of_service.steps.push_back(
                ContainerStep{Action::Remove, gone->name, gone->number, gone->id, "scale down", {}});
        }
        std::reverse(plan_of_service.steps.begin(), plan_of_service.steps.end());

        std::string shared_reason;
        for (const auto& other : shared_services(config))
            if (recreated.count(other)) shared_reason = "shares with " + other + ", which is recreated";
        std::string restart_reason;
        if (config.contains("depends_on") && config["depends_on"].is_object())
            for (auto it = config["depends_on"].begin(); it != config["depends_on"].end(); ++it)
                if (it.value().value("restart", false) && (recreated.count(it.key()) || restarted.count(it.key())))
                    restart_reason = "restart with " + it.key();
        bool force = options.force_recreate || (options.always_recreate_deps && dependencies_of_named.count(service));

        std::set<int> numbers;
        bool service_recreated = false, service_restarted = false;
        for (const ObservedContainer* container : existing) {
            numbers.insert(container->number);
            ContainerStep step{Action::Keep, container->name, container->number, container->id, "", {}};
            std::string reason;
            if (force) reason = "forced";
            else if (container->config_hash != hash) reason = "config changed";
            else if (!image_id.empty() && container->image_id != image_id) reason = "image changed";
            else if (changing_images.count(reference) && !container->image_id.empty()) reason = "";
            else if (!shared_reason.empty()) reason = shared_reason;
            if (!reason.empty() && !options.no_recreate) {
                step.action = Action::Recreate;
                step.reason = reason;
                step.request = TRY(container_request(project, service, container->number, false));
                service_recreated = true;
            } else if (!container->running()) {
                step.action = options.no_start ? Action::Keep : Action::Start;
                if (options.no_start) step.reason = container->status;
                service_restarted = !options.no_start;
            } else if (!restart_reason.empty()) {
                step.action = Action::Restart;
                step.reason = restart_reason;
                service_restarted = true;
            }
            plan_of_service.steps.push_back(std::move(step));
        }
        for (int number = 1; static_cast<int>(numbers.size()) < scale; ++number) {
            if (numbers.count(number)) continue;
            numbers.insert(number);
            ContainerStep step{Action::Create, container_name(project, service, number), number, "", "", {}};
            step.request = TRY(container_request(project, service, number, false));
            plan_of_service.steps.push_back(std::move(step));
            service_recreated = true;
        }
        std::stable_sort(plan_of_service.steps.begin(), plan_of_service.steps.end(),
                         [](const ContainerStep& a, const ContainerStep& b) {
                             bool a_remove = a.action == Action::Remove, b_remove = b.action == Action::Remove;
                             if (a_remove != b_remove) return a_remove;
                             return a.number < b.number;
                         });
        if (service_recreated) recreated.insert(service);
        if (service_restarted) restarted.insert(service);
        result.services.push_back(std::move(plan_of_service));
    }

    // Orphans: containers of services the project no longer has (a service
    // switched off by a profile is not an orphan).
    std::set<std::string> disabled(project.disabled_services.begin(), project.disabled_services.end());
    for (const auto& container : input.observed.containers) {
        if (container.oneoff || project.model["services"].contains(container.service) ||
            disabled.count(container.service))
            continue;
        if (options.remove_orphans) {
            result.orphans.push_back(ContainerStep{Action::Remove, container.name, container.number, container.id, "orphan", {}});
        } else {
            result.warnings.push_back("Found orphan containers ([" + container.name + "]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.");
        }
    }
    return result;
}

bool Plan::nothing_to_do() const {
    for (const auto& [step, request] : networks)
        if (step.create) return false;
    for (const auto& [step, request] : volumes)
        if (step.create) return false;
    if (!images.empty() || !orphans.empty()) return false;
    for (const auto& service : services)
        for (const auto& step : service.steps)
            if (step.action != Action::Keep) return false;
    return true;
}

std::string Plan::print() const {
    std::ostringstream out;
    for (const auto& [step, request] : networks) {
        out << "network " << step.name << ": "
            << (step.create ? "create" : step.external ? "external" : "exists");
        if (!step.note.empty()) out << " (" << step.note << ")";
        out << '\n';
    }
    for (const auto& [step, request] : volumes) {
        out << "volume " << step.name << ": " << (step.create ? "create" : step.external ? "external" : "exists");
        if (!step.note.empty()) out << " (" << step.note << ")";
        out << '\n';
    }
    for (const auto& image : images) out << "image " << image.reference << ": " << image.how << " (" << image.service << ")\n";
    for (const auto& step : orphans) out << "container " << step.name << ": remove (orphan)\n";
    for (const auto& service : services) {
        for (const auto& step : service.steps) {
            out << "container " << step.name << ": " << to_string(step.action);
            if (!step.reason.empty()) out << " (" << step.reason << ")";
            if (step.action == Action::Create || step.action == Action::Recreate || step.action == Action::Start ||
                step.action == Action::Restart)
                out << waits_text(service.waits);
            out << '\n';
        }
    }
    for (const auto& warning : warnings) out << "warning: " << warning << '\n';
    return out.str();
}

}  // namespace hako::reconcile
