// This file implements the choice and validation of a project's name (see
// project_name.h), as docker compose does it.
#include "src/project/project_name.h"

namespace hako::project {

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string normalize_project_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (char c : name) {
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
        if (is_lower_alnum(c) || ((c == '_' || c == '-') && !out.empty())) out += c;
    }
    return out;
}

bool is_valid_project_name(std::string_view name) {
    if (name.empty() || !is_lower_alnum(name[0])) return false;
    for (char c : name) {
        if (!is_lower_alnum(c) && c != '_' && c != '-') return false;
    }
    return true;
}

static Error invalid(const std::string& name, const std::string& where) {
    return Error(where + "invalid project name \"" + name +
                 "\": must consist only of lowercase alphanumeric characters, hyphens and underscores, "
                 "and start with a letter or digit");
}

Result<std::string> resolve_project_name(const ProjectNameSources& sources) {
    if (sources.flag && !sources.flag->empty()) {
        if (!is_valid_project_name(*sources.flag)) return invalid(*sources.flag, "-p/--project-name: ");
        return *sources.flag;
    }
    if (sources.environment && !sources.environment->empty()) {
        if (!is_valid_project_name(*sources.environment))
            return invalid(*sources.environment, "COMPOSE_PROJECT_NAME: ");
        return *sources.environment;
    }
    if (sources.file_name && !sources.file_name->empty()) {
        if (!is_valid_project_name(*sources.file_name)) {
            std::string where = sources.file_name_mark.str();
            return invalid(*sources.file_name, (where.empty() ? "" : where + ": ") + "name: ");
        }
        return *sources.file_name;
    }
    std::filesystem::path dir = sources.project_dir.lexically_normal();
    std::string base = dir.filename().string();
    if (base.empty()) base = dir.parent_path().filename().string();  // "/srv/app/" → "app"
    std::string name = normalize_project_name(base);
    if (name.empty()) {
        return Error("project name must not be empty: the folder name \"" + base +
                     "\" has no usable characters; set one with -p, COMPOSE_PROJECT_NAME or `name:`");
    }
    return name;
}

}  // namespace hako::project
