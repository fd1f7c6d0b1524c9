// This file implements where a load starts (see discovery.h): compose file
// discovery, the project folder, and the .env / --env-file variables.
#include "src/project/discovery.h"

#include <system_error>

#include "src/project/dotenv.h"
#include "src/project/profiles.h"

namespace hako::project {
namespace fs = std::filesystem;

static bool is_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

static fs::path absolute_from(const fs::path& path, const fs::path& base) {
    return (path.is_absolute() ? path : base / path).lexically_normal();
}

static fs::path current_folder(const LoadOptions& options) {
    if (!options.working_directory.empty()) return options.working_directory;
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    return ec ? fs::path("/") : cwd;
}

Result<std::vector<fs::path>> discover_compose_files(const fs::path& start) {
    fs::path dir = start.lexically_normal();
    if (!dir.has_filename() && dir != dir.root_path()) dir = dir.parent_path();  // "/a/b/" → "/a/b"
    while (true) {
        for (auto name : compose_file_names) {
            fs::path candidate = dir / name;
            if (!is_file(candidate)) continue;
            std::vector<fs::path> found{candidate};
            for (auto override_name : override_file_names) {
                if (is_file(dir / override_name)) {
                    found.push_back(dir / override_name);
                    break;
                }
            }
            return found;
        }
        fs::path parent = dir.parent_path();
        if (parent.empty() || parent == dir) break;
        dir = parent;
    }
    std::string names;
    for (auto name : compose_file_names) {
        if (!names.empty()) names += ", ";
        names += name;
    }
    return Error("no configuration file provided: none of " + names + " found in " + start.string() +
                 " or any parent folder");
}

std::vector<std::string> split_compose_file_variable(std::string_view value, std::string_view separator) {
    std::vector<std::string> parts;
    if (separator.empty()) separator = ":";
    size_t start = 0;
    while (start <= value.size()) {
        size_t end = value.find(separator, start);
        if (end == std::string_view::npos) end = value.size();
        if (end > start) parts.emplace_back(value.substr(start, end - start));
        start = end + separator.size();
    }
    return parts;
}

static bool is_true(const std::map<std::string, std::string>& env, const std::string& name) {
    auto it = env.find(name);
    if (it == env.end()) return false;
    const std::string& v = it->second;
    return v == "1" || v == "true" || v == "TRUE" || v == "True";
}

Result<Environment> load_environment(const std::map<std::string, std::string>& os_environment,
                                     const std::vector<std::string>& env_files, const fs::path& working_directory,
                                     const fs::path& dir) {
    std::vector<fs::path> files;
    if (!env_files.empty()) {
        for (const auto& file : env_files) {
            fs::path path = absolute_from(file, working_directory);
            if (!is_file(path)) return Error("env file " + path.string() + " not found");
            files.push_back(path);
        }
    } else if (!is_true(os_environment, "COMPOSE_DISABLE_ENV_FILE")) {
        fs::path dotenv = dir / ".env";
        if (is_file(dotenv)) files.push_back(dotenv);
    }

    std::map<std::string, std::string> from_files;
    for (const auto& file : files) {
        EnvLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
            if (auto it = os_environment.find(name); it != os_environment.end()) return it->second;
            if (auto it = from_files.find(name); it != from_files.end()) return it->second;
            return std::nullopt;
        };
        auto pairs = TRY(load_dotenv(file, lookup));
        for (auto& [key, value] : pairs) from_files[key] = std::move(value);
    }
    Environment environment(os_environment);
    for (auto& [key, value] : from_files) environment.set_default(key, value);
    return environment;
}

Result<ProjectLocation> locate_project(const LoadOptions& options) {
    fs::path cwd = current_folder(options);
    std::vector<std::string> env_files = options.env_files;
    if (env_files.empty()) {
        auto it = options.os_environment.find("COMPOSE_ENV_FILES");
        if (it != options.os_environment.end()) env_files = split_comma_list(it->second);
    }

    std::optional<fs::path> project_directory;
    if (options.project_directory) project_directory = absolute_from(*options.project_directory, cwd);

    // The folder whose .env may name COMPOSE_FILE.
    fs::path first_dir = cwd;
    if (project_directory) {
        first_dir = *project_directory;
    } else if (!options.files.empty() && options.files[0] != "-") {
        first_dir = absolute_from(options.files[0], cwd).parent_path();
    }
    Environment environment = TRY(load_environment(options.os_environment, env_files, cwd, first_dir));

    ProjectLocation location;
    if (!options.files.empty()) {
        for (const auto& file : options.files)
            location.files.push_back(file == "-" ? file : absolute_from(file, cwd).string());
    } else if (auto compose_file = environment.get("COMPOSE_FILE"); compose_file && !compose_file->empty()) {
        std::string separator = environment.get("COMPOSE_PATH_SEPARATOR").value_or(":");
        for (const auto& file : split_compose_file_variable(*compose_file, separator))
            location.files.push_back(absolute_from(file, cwd).string());
    } else {
        auto found = TRY(discover_compose_files(project_directory ? *project_directory : cwd));
        for (const auto& file : found) location.files.push_back(file.string());
    }
    if (location.files.empty()) return Error("no configuration file provided");

    if (project_directory) {
        location.project_dir = *project_directory;
    } else if (location.files[0] == "-") {
        location.project_dir = cwd;
    } else {
        location.project_dir = fs::path(location.files[0]).parent_path();
    }
    if (location.project_dir != first_dir) {
        environment = TRY(load_environment(options.os_environment, env_files, cwd, location.project_dir));
    }
    location.environment = std::move(environment);
    return location;
}

}  // namespace hako::project
