// This file implements the choice of a project's name: -p, then
// COMPOSE_PROJECT_NAME, then the top-level `name:`, then the project folder's
// base name (normalised); an explicit name must already be valid.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "src/project/diagnostics.h"

namespace hako::project {

// Lowercase, only [a-z0-9_-] kept, leading characters that are not [a-z0-9]
// dropped: "My App_" → "myapp_", "_x" → "x".
std::string normalize_project_name(std::string_view name);

// ^[a-z0-9][a-z0-9_-]*$
bool is_valid_project_name(std::string_view name);

struct ProjectNameSources {
    std::optional<std::string> flag;         // -p / --project-name
    std::optional<std::string> environment;  // COMPOSE_PROJECT_NAME (OS environment over .env)
    std::optional<std::string> file_name;    // top-level `name:` of the merged files
    Mark file_name_mark;                     // where `name:` was written
    std::filesystem::path project_dir;       // its base name is the last resort
};

// The first source that is set and not empty wins. A name from -p,
// COMPOSE_PROJECT_NAME or `name:` that is not valid is an error saying where
// it came from; the folder's name is normalised instead. An empty result is
// an error.
Result<std::string> resolve_project_name(const ProjectNameSources& sources);

}  // namespace hako::project
