// This file declares the loaded Compose project (Project), what the loader is
// asked to do (LoadOptions) and the loader's entry point, project::load.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/project/diagnostics.h"
#include "src/project/environment.h"

namespace hako::project {

using Json = nlohmann::json;

// One parsed compose file: its value after YAML decoding (anchors, aliases and
// merge keys applied, scalars typed) and interpolation, with the mark of every
// node and the !reset / !override tags the merge needs.
enum class MergeTag { Reset, Override };
struct Document {
    std::string file;  // absolute path, or "-" for stdin
    Json value;
    SourceMap marks;
    std::map<std::string, MergeTag> tags;  // path → tag
};

struct LoadOptions {
    std::vector<std::string> files;  // -f, in order; "-" reads stdin
    std::optional<std::string> project_name;             // -p
    std::optional<std::filesystem::path> project_directory;  // --project-directory
    std::vector<std::string> profiles;   // --profile (COMPOSE_PROFILES is read by load)
    std::vector<std::string> env_files;  // --env-file (COMPOSE_ENV_FILES is read by load)
    std::vector<std::string> services;   // services named on the command line
    bool interpolate = true;    // false: --no-interpolate
    bool normalize = true;      // false: keep short syntax (config --no-normalize)
    bool resolve_paths = true;  // make relative paths absolute
    bool apply_profiles = true;  // false: keep every service (config --profiles lists all)
    // The process environment and working folder, injected so tests need not
    // touch the real ones; cli fills them from environ and getcwd.
    std::map<std::string, std::string> os_environment;
    std::filesystem::path working_directory;
    std::function<Result<std::string>()> read_stdin;
};

struct Project {
    std::string name;
    std::filesystem::path working_dir;        // the project folder
    std::vector<std::string> config_files;    // absolute paths of the files loaded
    std::vector<std::string> active_profiles; // sorted
    std::vector<std::string> all_profiles;    // every profile any service names, sorted
    std::vector<std::string> disabled_services;  // switched off by profiles, sorted
    Environment environment;  // what interpolation used (.env + OS)
    // The canonical model: {"name", "services", "networks", "volumes",
    // "secrets", "configs"}; long syntax, absolute paths, sorted keys.
    Json model;
    SourceMap marks;  // model path → where it was written

    std::vector<std::string> service_names() const;  // sorted
    const Json& service(const std::string& name) const { return model.at("services").at(name); }
};

// Loads, merges, validates and normalises a project. Every warning (unset
// variables, deprecated fields) and every error goes into `diagnostics`; on
// failure the Error lists all errors, one per line, "file:line:col: path: msg".
Result<Project> load(const LoadOptions& options, Diagnostics& diagnostics);

}  // namespace hako::project
