// This file implements normalize: the walk over a loaded model that rewrites
// each service (normalize_service.cpp and friends), then the top-level
// resources: the implicit `default` network, `name` on every network, volume,
// secret and config, `external` in its boolean form, and absolute file paths.
#include "src/project/normalize.h"

#include <cstdlib>

#include "src/project/normalize_detail.h"

namespace hako::project {
namespace detail {

std::string NormalizeContext::expand_home(const std::string& path) const {
    if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) return path;
    std::string home;
    if (auto value = project.environment.get("HOME")) {
        home = *value;
    } else if (const char* value = std::getenv("HOME")) {
        home = value;
    }
    if (home.empty()) return path;
    return clean_path(home + "/" + path.substr(1));
}

std::string NormalizeContext::absolute_path(const std::string& path) const {
    if (options.paths == PathResolution::Keep) return path;
    std::string expanded = expand_home(path);
    if (expanded.empty() || expanded[0] == '/') return expanded;
    return clean_path(project.working_dir.string() + "/" + expanded);
}

}  // namespace detail

namespace {

using detail::NormalizeContext;

bool is_extension(const std::string& key) { return key.rfind("x-", 0) == 0; }

// Services with no networks and no network_mode join `default`; the top-level
// `default` network exists exactly when some service uses it.
void add_default_network(Json& model) {
    bool uses_default = false;
    if (model.contains("services") && model["services"].is_object()) {
        for (auto& service : model["services"]) {
            if (!service.is_object() || service.contains("provider") || service.contains("network_mode")) continue;
            Json& networks = service["networks"];
            if (networks.is_null() || networks.empty()) {
                networks = Json{{"default", nullptr}};
                uses_default = true;
            } else if (networks.is_object() && networks.contains("default")) {
                uses_default = true;
            }
        }
    }
    if (uses_default) {
        Json& networks = model["networks"];
        if (!networks.is_object()) networks = Json::object();
        if (!networks.contains("default")) networks["default"] = Json::object();
    }
}

void normalize_resources(NormalizeContext& context, const char* kind) {
    Json& model = context.project.model;
    if (!model.contains(kind)) return;
    if (!model[kind].is_object()) {
        context.error(kind, std::string(kind) + " must be a mapping");
        return;
    }
    for (auto it = model[kind].begin(); it != model[kind].end(); ++it) {
        if (is_extension(it.key())) continue;
        const std::string path = path_join(kind, it.key());
        Json& resource = it.value();
        if (resource.is_null()) resource = Json::object();
        if (!resource.is_object()) {
            context.error(path, "must be a mapping");
            continue;
        }
        if (resource.contains("external") && resource["external"].is_object()) {
            // The deprecated `external: {name: x}` becomes `name: x` + `external: true`.
            const Json external = resource["external"];
            resource["external"] = true;
            if (external.contains("name")) {
                if (resource.contains("name") && resource["name"] != external["name"]) {
                    context.error(path, "name and external.name conflict; only use name");
                } else {
                    resource["name"] = external["name"];
                }
            }
        }
        if (resource.contains("external") && resource["external"] == false) resource.erase("external");
        if (!resource.contains("name")) {
            const bool external = resource.contains("external") && resource["external"] == true;
            resource["name"] = external ? it.key() : context.project.name + "_" + it.key();
        }
        if (resource.contains("labels"))
            resource["labels"] = detail::list_or_map_to_map(context, resource["labels"], path_join(path, "labels"), "");
        if (resource.contains("file") && resource["file"].is_string())
            resource["file"] = context.absolute_path(resource["file"].get<std::string>());
        if (std::string_view(kind) == "volumes" && resource.value("driver", "") == "local" &&
            resource.contains("driver_opts") && resource["driver_opts"].is_object()) {
            Json& options = resource["driver_opts"];
            if (options.value("o", "") == "bind" && options.contains("device") && options["device"].is_string())
                options["device"] = context.absolute_path(options["device"].get<std::string>());
        }
    }
}

}  // namespace

Result<void> normalize(Project& project, Diagnostics& diagnostics, const NormalizeOptions& options) {
    NormalizeContext context{project, diagnostics, options};
    const size_t errors_before = diagnostics.error_count();
    Json& model = project.model;
    if (!model.is_object()) {
        diagnostics.error(project.marks.find(""), "", "a compose project must be a mapping");
        return diagnostics.to_error();
    }
    if (!project.name.empty()) model["name"] = project.name;
    if (model.contains("services")) {
        if (model["services"].is_object()) {
            for (auto it = model["services"].begin(); it != model["services"].end(); ++it)
                if (!is_extension(it.key())) detail::normalize_service(context, it.key(), it.value());
        } else if (!model["services"].is_null()) {
            context.error("services", "services must be a mapping");
        }
    }
    add_default_network(model);
    for (const char* kind : {"networks", "volumes", "secrets", "configs"}) normalize_resources(context, kind);
    if (diagnostics.error_count() > errors_before) return diagnostics.to_error();
    return ok();
}

}  // namespace hako::project
