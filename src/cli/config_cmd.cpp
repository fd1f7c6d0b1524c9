// `hako config`: loads, validates and prints the fully resolved project in
// canonical YAML or JSON, or one of its listings (services, volumes, networks,
// profiles, images, config hashes, variables), as `docker compose config` does.
#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <set>

#include "engine/sys/file.h"
#include "src/cli/app.h"
#include "src/cli/context.h"
#include "src/cli/global_options.h"
#include "src/cli/output.h"
#include "src/graph/graph.h"
#include "src/project/canonical.h"
#include "src/project/config_hash.h"
#include "src/project/interpolate.h"
#include "src/project/load_heap.h"
#include "src/project/project.h"

namespace hako::cli {

namespace {

using project::Json;

struct ConfigFlags {
    std::string format = "yaml";
    bool quiet = false;
    bool list_services = false;
    bool list_volumes = false;
    bool list_networks = false;
    bool list_profiles = false;
    bool list_images = false;
    bool list_variables = false;
    std::optional<std::string> hash;  // "web,db" or "*"
    bool no_interpolate = false;
    bool no_normalize = false;
    bool no_path_resolution = false;
    std::optional<std::string> output;
    std::vector<std::string> services;  // positional: restrict the output
};

std::string lines(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += item + '\n';
    return out;
}

std::vector<std::string> keys(const Json& model, const char* section) {
    std::vector<std::string> names;
    if (model.contains(section) && model[section].is_object())
        for (auto it = model[section].begin(); it != model[section].end(); ++it) names.push_back(it.key());
    return names;
}

// Keeps the named services and everything they need; the rest of the model
// (networks, volumes…) stays, as docker compose prints it.
Result<void> keep_services(project::Project& project, const std::vector<std::string>& named) {
    if (named.empty()) return ok();
    graph::ProjectGraph g = TRY(graph::build_graph(project));
    std::set<std::string> keep;
    std::vector<std::string> pending;
    for (const auto& name : named) {
        if (!g.find(graph::VertexKind::Service, name)) return Error("no such service: " + name);
        pending.push_back(name);
    }
    while (!pending.empty()) {
        std::string name = std::move(pending.back());
        pending.pop_back();
        if (!keep.insert(name).second) continue;
        for (auto& dependency : g.dependencies(name)) pending.push_back(std::move(dependency));
    }
    Json& services = project.model["services"];
    for (const auto& name : project.service_names())
        if (!keep.count(name)) services.erase(name);
    return ok();
}

std::string images(const project::Project& project) {
    std::vector<std::string> out;
    for (const auto& name : project.service_names()) {
        const Json& service = project.service(name);
        if (service.contains("image") && service["image"].is_string())
            out.push_back(service["image"].get<std::string>());
        else
            out.push_back(project.name + "-" + name);  // what a build for the service is tagged
    }
    return lines(out);
}

Result<std::string> hashes(const project::Project& project, const std::string& which) {
    std::vector<std::string> names;
    if (which == "*") {
        names = project.service_names();
    } else {
        std::string rest = which;
        for (size_t comma; !rest.empty();) {
            comma = rest.find(',');
            std::string name = rest.substr(0, comma);
            rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
            if (name.empty()) continue;
            const auto& services = project.model.value("services", Json::object());
            if (!services.is_object() || !services.contains(name)) return Error("no such service: " + name);
            names.push_back(name);
        }
    }
    std::string out;
    for (const auto& name : names) out += name + ' ' + project::config_hash(project.service(name)) + '\n';
    return out;
}

// Every ${VAR} written in the project's files, merged by name: required when
// any use requires it, the first default and alternate seen.
Result<std::string> variables(const project::Project& project, const project::LoadOptions& options,
                              const std::string& format) {
    std::map<std::string, project::VariableUse> uses;
    for (const auto& file : project.config_files) {
        std::string text = file == "-" && options.read_stdin ? TRY(options.read_stdin()) : TRY(sys::read_file(file));
        for (auto& use : project::list_variables(text)) {
            auto [it, inserted] = uses.emplace(use.name, use);
            if (inserted) continue;
            it->second.required |= use.required;
            if (!it->second.default_value) it->second.default_value = use.default_value;
            if (!it->second.alternate_value) it->second.alternate_value = use.alternate_value;
        }
    }
    if (format == "json") {
        Json out = Json::object();
        for (const auto& [name, use] : uses) {
            out[name] = {{"name", name}, {"required", use.required}};
            if (use.default_value) out[name]["defaultValue"] = *use.default_value;
            if (use.alternate_value) out[name]["alternateValue"] = *use.alternate_value;
        }
        return project::to_json(out);
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE"}};
    for (const auto& [name, use] : uses)
        rows.push_back({name, use.required ? "true" : "false", use.default_value.value_or(""),
                        use.alternate_value.value_or("")});
    return format_table(rows);
}

Result<void> run_config(Context& ctx, const ConfigFlags& flags) {
    project::LoadOptions options = load_options(ctx);
    options.services = flags.services;
    // Listing variables must not fail on the ${VAR:?} it is asked to list.
    options.interpolate = !flags.no_interpolate && !flags.list_variables;
    // Normalising parses values (ports…) that only make sense once interpolated.
    options.normalize = !flags.no_normalize && !flags.list_variables;
    options.resolve_paths = !flags.no_path_resolution;
    options.apply_profiles = !flags.list_profiles;

    // config loads once and exits: its heap can take huge pages (a 500-service
    // load faulted ~2,600 small pages, a third of its time in this VM).
    project::prepare_heap_for_load();
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    print_warnings(diagnostics);
    if (!loaded) return std::move(loaded).error();
    auto kept = std::make_shared<project::Project>(std::move(loaded).value());
    keep_until_exit(kept);  // freeing the model node by node would be 6 % of the run
    project::Project& project = *kept;
    if (!flags.list_profiles && !flags.list_variables) {
        // A dependency cycle is a mistake in the project.
        keep_until_exit(std::make_shared<graph::ProjectGraph>(TRY(graph::build_graph(project))));
        TRY(keep_services(project, flags.services));
    }
    if (flags.quiet) return ok();

    std::string text;
    if (flags.list_services) {
        text = lines(project.service_names());
    } else if (flags.list_volumes) {
        text = lines(keys(project.model, "volumes"));
    } else if (flags.list_networks) {
        text = lines(keys(project.model, "networks"));
    } else if (flags.list_profiles) {
        text = lines(project.all_profiles);
    } else if (flags.list_images) {
        text = images(project);
    } else if (flags.hash) {
        text = TRY(hashes(project, *flags.hash));
    } else if (flags.list_variables) {
        text = TRY(variables(project, options, flags.format));
    } else {
        text = flags.format == "json" ? project::to_json(project.model) : project::to_yaml(project.model);
    }
    return write_output(flags.output, text);
}

}  // namespace

void add_config_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<ConfigFlags>();
    CLI::App* cmd = app.add_subcommand("config", "Parse, resolve and print the project in canonical form");
    cmd->add_option("services", flags->services, "Print only these services (and what they depend on)")
        ->type_name("SERVICE");
    cmd->add_option("--format", flags->format, "Output format: yaml, json")->check(CLI::IsMember({"yaml", "json"}));
    cmd->add_flag("-q,--quiet", flags->quiet, "Only validate the project; print nothing");
    std::vector<CLI::Option*> listings{
        cmd->add_flag("--services", flags->list_services, "Print the service names, one per line"),
        cmd->add_flag("--volumes", flags->list_volumes, "Print the volume names, one per line"),
        cmd->add_flag("--networks", flags->list_networks, "Print the network names, one per line"),
        cmd->add_flag("--profiles", flags->list_profiles, "Print every profile that a service names"),
        cmd->add_flag("--images", flags->list_images, "Print the image of each service"),
        cmd->add_option("--hash", flags->hash, "Print \"SERVICE HASH\" for these services (comma list, or '*')")
            ->type_name("SERVICES"),
        cmd->add_flag("--variables", flags->list_variables,
                      "Print the variables the files use, with their defaults"),
    };
    for (CLI::Option* a : listings)
        for (CLI::Option* b : listings)
            if (a != b) a->excludes(b);
    cmd->add_flag("--no-interpolate", flags->no_interpolate, "Leave ${VARIABLES} as written");
    cmd->add_flag("--no-normalize", flags->no_normalize, "Keep short syntax as written");
    cmd->add_flag("--no-path-resolution", flags->no_path_resolution, "Keep relative paths relative");
    cmd->add_option("-o,--output", flags->output, "Write to FILE (atomically) instead of stdout")->type_name("FILE");
    cmd->callback([flags, &ctx] { ctx.exit_status = report(run_config(ctx, *flags)); });
}

}  // namespace hako::cli
