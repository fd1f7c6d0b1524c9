// This file implements where a load starts: which compose files it reads
// (-f, COMPOSE_FILE, or the standard names searched up through parent
// folders), the project folder, and the variables (OS environment over .env
// or --env-file / COMPOSE_ENV_FILES).
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/project/environment.h"
#include "src/project/project.h"

namespace hako::project {

inline constexpr std::array<std::string_view, 4> compose_file_names = {
    "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"};
inline constexpr std::array<std::string_view, 4> override_file_names = {
    "compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"};

// Searches `start`, then each parent folder up to /, for the first folder
// holding one of compose_file_names (the first name in that order wins);
// returns that file and, when present beside it, the first override file.
// Nothing found is an error saying where it looked.
Result<std::vector<std::filesystem::path>> discover_compose_files(const std::filesystem::path& start);

// Splits COMPOSE_FILE on `separator` (COMPOSE_PATH_SEPARATOR, else ":"),
// dropping empty parts.
std::vector<std::string> split_compose_file_variable(std::string_view value, std::string_view separator);

// The project's variables: `os_environment` over the files read, where the
// files are `env_files` (relative to `working_directory`; a missing one is an
// error; a later file wins over an earlier one) or else `dir/.env` when it
// exists and COMPOSE_DISABLE_ENV_FILE is not 1/true.
Result<Environment> load_environment(const std::map<std::string, std::string>& os_environment,
                                     const std::vector<std::string>& env_files,
                                     const std::filesystem::path& working_directory,
                                     const std::filesystem::path& dir);

struct ProjectLocation {
    std::vector<std::string> files;     // absolute paths, or "-" for stdin, in load order
    std::filesystem::path project_dir;  // --project-directory, else the first file's folder
    Environment environment;            // read from the project folder
};

// Steps 1 and 2 of a load. The env files are --env-file, else COMPOSE_ENV_FILES
// (comma separated). COMPOSE_FILE is looked up in the OS environment and the
// .env of --project-directory or the working folder; the variables are then
// read again from the project folder when that is another folder, as docker
// compose does.
Result<ProjectLocation> locate_project(const LoadOptions& options);

}  // namespace hako::project
