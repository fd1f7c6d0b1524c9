// This file implements project::load, the loader as a list of named steps:
// locate the files and variables, load and check every file (includes and
// extends resolved per file), merge them, name the project, apply profiles, check references, then
// normalise. Each step collects every error it finds; the load stops once.
#include <memory>

#include "src/project/discovery.h"
#include "src/project/extends.h"
#include "src/project/file_loader.h"
#include "src/project/include.h"
#include "src/project/interpolate.h"
#include "src/project/merge.h"
#include "src/project/normalize.h"
#include "src/project/profiles.h"
#include "src/project/project.h"
#include "src/project/project_name.h"
#include "src/project/references.h"
#include "src/project/schema.h"
#include "src/project/yaml_document.h"

namespace hako::project {
namespace {

// Extends is resolved in each -f document on its own, before the merge, as
// docker compose does: an override file cannot change what a service extends.
void resolve_extends(Document& document, const ParseOptions& parse, const Project& project,
                     Diagnostics& diagnostics) {
    ExtendsOptions extends;
    extends.base_dir = project.working_dir;
    extends.load_file = [&parse, &diagnostics](const std::filesystem::path& file) -> Result<std::vector<Document>> {
        auto documents = load_documents(file, parse, diagnostics);
        if (documents.ok()) {
            for (const auto& document : documents.value()) validate_schema(document, diagnostics);
        }
        return documents;
    };
    apply_extends(document, extends, diagnostics);
}

// Every -f file's documents, includes applied, in load order.
std::vector<Document> load_files(const std::vector<std::string>& files, const ParseOptions& parse,
                                 const LoadOptions& options, Project& project, Diagnostics& diagnostics) {
    IncludeOptions include;
    include.project_dir = project.working_dir;
    include.environment = parse.environment;
    include.parse = parse;
    include.check_file = [](const Document& document, Diagnostics& d) { validate_schema(document, d); };

    std::vector<Document> documents;
    std::vector<std::string> included;
    for (const auto& file : files) {
        project.config_files.push_back(file);
        auto loaded = load_compose_file(file, parse, options, diagnostics);
        if (!loaded.ok()) continue;
        if (loaded.value().empty()) {
            diagnostics.error(Mark{std::make_shared<const std::string>(file), 0, 0}, "", "empty compose file");
            continue;
        }
        for (auto& document : loaded.value()) {
            apply_include(document, include, diagnostics, &included);
            resolve_extends(document, parse, project, diagnostics);
            documents.push_back(std::move(document));
        }
    }
    project.config_files.insert(project.config_files.end(), included.begin(), included.end());
    return documents;
}

// Lays every document over the first, in order.
Document merge_all(std::vector<Document>& documents) {
    Document merged = std::move(documents.front());
    drop_reset_values(merged);
    for (size_t i = 1; i < documents.size(); ++i) merge_documents(merged, std::move(documents[i]));
    return merged;
}

// -p, COMPOSE_PROJECT_NAME, `name:`, the folder; written back into the model.
void name_project(Document& merged, const LoadOptions& options, Project& project, Diagnostics& diagnostics) {
    ProjectNameSources sources;
    sources.flag = options.project_name;
    sources.environment = project.environment.get("COMPOSE_PROJECT_NAME");
    if (auto it = merged.value.find("name"); it != merged.value.end() && it->is_string()) {
        sources.file_name = it->get<std::string>();
        sources.file_name_mark = merged.marks.find("name");
    }
    sources.project_dir = project.working_dir;
    auto name = resolve_project_name(sources);
    if (!name.ok()) {
        diagnostics.error({}, "", name.error().message);
        return;
    }
    project.name = name.value();
    merged.value["name"] = project.name;
}

void select_profiles(Document& merged, const LoadOptions& options, Project& project, Diagnostics& diagnostics) {
    std::vector<std::string> requested = options.profiles;
    if (requested.empty()) {
        if (auto env = project.environment.get("COMPOSE_PROFILES")) requested = split_comma_list(*env);
    }
    auto selection =
        apply_profiles(merged.value, merged.marks, requested, options.services, options.apply_profiles, diagnostics);
    project.active_profiles = std::move(selection.active);
    project.all_profiles = std::move(selection.all);
    if (options.apply_profiles) project.disabled_services = std::move(selection.disabled);
}

// `version` is obsolete: docker compose warns and ignores it.
void drop_obsolete_keys(Document& merged, Diagnostics& diagnostics) {
    if (merged.value.is_object() && merged.value.contains("version")) {
        diagnostics.warning(merged.marks.find("version"), "version",
                            "the attribute `version` is obsolete, it will be ignored");
        merged.value.erase("version");
    }
}

}  // namespace

Result<Project> load(const LoadOptions& options, Diagnostics& diagnostics) {
    SchemaPreparation schema_preparation;
    auto location = locate_project(options);
    if (!location.ok()) return std::move(location).error();

    Project project;
    project.working_dir = location.value().project_dir;
    project.environment = std::move(location.value().environment);

    Interpolator interpolator(project.environment, diagnostics);
    ParseOptions parse;
    if (options.interpolate) {
        parse.environment = &project.environment;
        parse.interpolator = &interpolator;
    }

    std::vector<Document> documents = load_files(location.value().files, parse, options, project, diagnostics);
    if (diagnostics.has_errors()) return diagnostics.to_error();

    Document merged = merge_all(documents);
    documents.clear();
    if (!merged.value.is_object()) {
        diagnostics.error(merged.marks.find(""), "", "a compose file must be a mapping at the top level");
        return diagnostics.to_error();
    }
    drop_obsolete_keys(merged, diagnostics);
    name_project(merged, options, project, diagnostics);
    select_profiles(merged, options, project, diagnostics);
    check_references(merged.value, merged.marks, project.disabled_services, diagnostics);
    if (diagnostics.has_errors()) return diagnostics.to_error();

    project.model = std::move(merged.value);
    project.marks = std::move(merged.marks);
    if (options.normalize) {
        NormalizeOptions normalize_options;
        normalize_options.paths = options.resolve_paths ? PathResolution::Absolute : PathResolution::Keep;
        normalize_options.interpolated = options.interpolate;
        auto normalized = normalize(project, diagnostics, normalize_options);
        if (!normalized.ok()) return std::move(normalized).error();
    }
    return project;
}

}  // namespace hako::project
