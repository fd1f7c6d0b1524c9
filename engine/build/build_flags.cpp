// This file implements parse_secret_flag and parse_ssh_flag (see build_flags.h).
#include "engine/build/build_flags.h"

namespace hako::build {

namespace fs = std::filesystem;

namespace {

std::string absolute(const std::string& path, const fs::path& cwd) {
    fs::path p = path;
    return (p.is_relative() ? cwd / p : p).lexically_normal().string();
}

}  // namespace

std::vector<std::string> split_fields(std::string_view text) {
    std::vector<std::string> fields;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        if (comma > start) fields.emplace_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return fields;
}

Result<std::pair<std::string, BuildSecret>> parse_secret_flag(std::string_view value, const Variables& environment,
                                                             const fs::path& cwd) {
    std::string flag = "--secret " + std::string(value);
    std::string id, src, env, type;
    for (const auto& field : split_fields(value)) {
        size_t eq = field.find('=');
        if (eq == std::string::npos) return Error::usage(flag + ": expected KEY=VALUE fields, got \"" + field + "\"");
        std::string key = field.substr(0, eq), v = field.substr(eq + 1);
        if (key == "id") id = v;
        else if (key == "src" || key == "source") src = v;
        else if (key == "env") env = v;
        else if (key == "type") type = v;
        else return Error::usage(flag + ": unknown key \"" + key + "\" (id, src, env, type)");
    }
    if (!type.empty() && type != "file" && type != "env") return Error::usage(flag + ": type must be file or env");
    if (id.empty()) id = !env.empty() ? env : src.empty() ? "" : fs::path(src).filename().string();
    if (id.empty()) return Error::usage(flag + ": needs id=ID");
    if (type == "env" && env.empty()) env = src.empty() ? id : src;
    if (type == "file" && src.empty()) src = id;
    if (src.empty() && env.empty()) return Error::usage(flag + ": needs src=PATH or env=VAR");
    BuildSecret secret;
    if (!env.empty() && type != "file") {
        auto it = environment.find(env);
        if (it == environment.end()) return Error::usage(flag + ": the environment variable " + env + " is not set");
        secret.value = it->second;
    } else {
        secret.file = absolute(src, cwd);
        std::error_code ec;
        if (!fs::is_regular_file(secret.file, ec))
            return Error::usage(flag + ": " + secret.file.string() + ": not a file");
    }
    return std::pair{id, std::move(secret)};
}

Result<std::pair<std::string, std::vector<std::string>>> parse_ssh_flag(std::string_view value,
                                                                       const Variables& environment,
                                                                       const fs::path& cwd) {
    std::string flag = "--ssh " + std::string(value);
    size_t eq = value.find('=');
    std::string id(value.substr(0, eq));
    if (id.empty()) return Error::usage(flag + ": needs an id (default, or ID=PATH)");
    std::vector<std::string> paths;
    if (eq == std::string_view::npos) {
        if (id != "default") return Error::usage(flag + ": needs ID=PATH (only default may stand alone)");
        auto it = environment.find("SSH_AUTH_SOCK");
        if (it == environment.end() || it->second.empty())
            return Error::usage(flag + ": SSH_AUTH_SOCK is not set (start an ssh-agent or give default=PATH)");
        paths.push_back(it->second);
    } else {
        for (const auto& path : split_fields(value.substr(eq + 1))) paths.push_back(absolute(path, cwd));
        if (paths.empty()) return Error::usage(flag + ": needs a socket or key path after =");
    }
    for (const auto& p : paths) {
        std::error_code ec;
        if (!fs::exists(p, ec)) return Error::usage(flag + ": " + p + ": no such socket or key file");
    }
    return std::pair{id, std::move(paths)};
}

std::string docker_config_path(const Variables& environment) {
    if (auto it = environment.find("DOCKER_CONFIG"); it != environment.end() && !it->second.empty())
        return it->second + "/config.json";
    auto home = environment.find("HOME");
    return (home == environment.end() ? std::string("/root") : home->second) + "/.docker/config.json";
}

}  // namespace hako::build
