// This file implements the normalisation of a service's environment: list or
// map `environment` and every `env_file` (string, list, {path, required, format})
// become one map, env_file values first and `environment` over them, while the
// env_file list is kept in long form as `docker compose config` prints it.
#include <filesystem>

#include "engine/sys/file.h"
#include "src/project/dotenv.h"
#include "src/project/normalize_detail.h"

namespace hako::project::detail {
namespace {

// "raw" env files: KEY=VALUE lines taken literally, no quotes, no interpolation.
Result<std::vector<std::pair<std::string, std::string>>> load_raw_env_file(const std::filesystem::path& path) {
    auto content = TRY(sys::read_file(path, 16 << 20));
    std::vector<std::pair<std::string, std::string>> values;
    size_t start = 0;
    while (start < content.size()) {
        size_t end = content.find('\n', start);
        if (end == std::string::npos) end = content.size();
        std::string line = content.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        size_t equals = line.find('=');
        if (equals == std::string::npos) {
            values.emplace_back(line, "");
        } else {
            values.emplace_back(line.substr(0, equals), line.substr(equals + 1));
        }
    }
    return values;
}

}  // namespace

void normalize_environment(NormalizeContext& context, Json& service, const std::string& path) {
    // environment: list "K=V" / "K" or map → map; a bare key takes its value
    // from the project environment or is left out (the container gets none).
    Json environment = Json::object();
    if (service.contains("environment")) {
        const std::string environment_path = path_join(path, "environment");
        Json listed = list_or_map_to_map(context, service["environment"], environment_path, nullptr);
        if (listed.is_object()) {
            // Its values are strings or null (bare keys): resolve those in place.
            auto& members = listed.get_ref<Json::object_t&>();
            for (auto it = members.begin(); it != members.end();) {
                if (!it->second.is_null()) {
                    if (!it->second.is_string()) it->second = scalar_to_string(it->second);
                    ++it;
                } else if (auto value = context.project.environment.get(it->first)) {
                    it->second = std::move(*value);
                    ++it;
                } else {
                    it = members.erase(it);
                }
            }
            environment = std::move(listed);
        } else {
            for (auto it = listed.begin(); it != listed.end(); ++it) {
                if (it.value().is_null()) {
                    if (auto value = context.project.environment.get(it.key())) environment[it.key()] = *value;
                } else {
                    environment[it.key()] = scalar_to_string(it.value());
                }
            }
        }
    }

    if (service.contains("env_file")) {
        const std::string files_path = path_join(path, "env_file");
        Json files = service["env_file"];
        if (files.is_string() || files.is_object()) files = Json::array({files});
        if (!files.is_array()) {
            context.error(files_path, "env_file must be a path, a list or a mapping");
            return;
        }
        Json normalized = Json::array();
        Json from_files = Json::object();
        const EnvLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
            if (auto value = context.project.environment.get(name)) return value;
            if (environment.contains(name) && environment[name].is_string()) return environment[name].get<std::string>();
            return std::nullopt;
        };
        for (size_t i = 0; i < files.size(); ++i) {
            const std::string entry_path = path_index(files_path, i);
            Json entry = files[i];
            if (entry.is_string()) entry = Json{{"path", entry}};
            if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string()) {
                context.error(entry_path, "an env_file entry must be a path or {path, required, format}");
                continue;
            }
            entry["path"] = context.absolute_path(entry["path"].get<std::string>());
            if (!entry.contains("required")) entry["required"] = true;
            const bool required = entry["required"] == true;
            const std::string file = entry["path"].get<std::string>();
            const bool raw = entry.contains("format") && entry["format"] == "raw";
            if (entry.contains("format") && !raw)
                context.error(path_join(entry_path, "format"), "unsupported env_file format " + entry["format"].dump());
            normalized.push_back(entry);
            std::error_code error;
            if (!std::filesystem::exists(file, error)) {
                if (required) context.error(entry_path, "env file " + file + " not found");
                continue;
            }
            auto values = raw ? load_raw_env_file(file) : load_dotenv(file, lookup);
            if (!values.ok()) {
                context.error(entry_path, values.error().message);
                continue;
            }
            for (auto& [key, value] : values.value()) from_files[key] = value;
        }
        service["env_file"] = std::move(normalized);
        from_files.update(environment);
        environment = std::move(from_files);
    }

    if (service.contains("environment") || !environment.empty()) service["environment"] = std::move(environment);
}

}  // namespace hako::project::detail
