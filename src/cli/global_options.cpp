// This file implements hako's global flags (see global_options.h): registration,
// environment fallbacks, logging setup and the mapping to project::LoadOptions.
#include "src/cli/global_options.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <iterator>
#include <memory>

namespace hako::cli {

namespace {

const std::vector<std::string> log_levels = {"debug", "info", "warn", "error"};

// Reads all of stdin, refusing more than `limit` bytes so a runaway pipe
// cannot eat the machine's memory.
Result<std::string> read_all_stdin(size_t limit) {
    std::string text;
    char buffer[65536];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
        text.append(buffer, static_cast<size_t>(std::cin.gcount()));
        if (text.size() > limit) return Error("stdin: more than " + std::to_string(limit >> 20) + " MiB of input");
    }
    if (std::cin.bad()) return Error("stdin: read error");
    return text;
}

}  // namespace

void add_global_options(CLI::App& app, GlobalOptions& options) {
    app.fallthrough();  // flags of the top-level app also work after the verb
    const std::string group = "Global flags";
    app.add_option("-f,--file", options.files, "Compose configuration file ('-' reads stdin); repeatable")
        ->group(group)
        ->allow_extra_args(false)
        ->type_name("FILE");
    app.add_option("-p,--project-name", options.project_name, "Project name")->group(group)->type_name("NAME");
    app.add_option("--project-directory", options.project_directory,
                   "Project folder (default: the folder of the first compose file)")
        ->group(group)
        ->type_name("DIR");
    app.add_option("--profile", options.profiles, "Profile to enable; repeatable")
        ->group(group)
        ->allow_extra_args(false)
        ->type_name("PROFILE");
    app.add_option("--env-file", options.env_files, "Environment file instead of .env; repeatable")
        ->group(group)
        ->allow_extra_args(false)
        ->type_name("FILE");
    app.add_option("--root", options.root, "State root (env HAKO_ROOT, default /var/lib/hako)")
        ->group(group)
        ->type_name("DIR");
    app.add_option("--log-level", options.log_level, "Log level: debug, info, warn, error (env HAKO_LOG)")
        ->group(group)
        ->check(CLI::IsMember(log_levels))
        ->type_name("LEVEL");
    app.add_option("--ansi", options.ansi, "Control characters: never, always, auto")
        ->group(group)
        ->check(CLI::IsMember({"never", "always", "auto"}))
        ->type_name("WHEN");
    app.add_option("--progress", options.progress, "Progress output: auto, tty, plain, json, quiet")
        ->group(group)
        ->check(CLI::IsMember({"auto", "tty", "plain", "json", "quiet"}))
        ->type_name("TYPE");
}

Result<void> apply_environment(const CLI::App& app, GlobalOptions& options,
                               const std::map<std::string, std::string>& environment) {
    if (app.count("--root") == 0) {
        auto it = environment.find("HAKO_ROOT");
        options.root = (it != environment.end() && !it->second.empty()) ? it->second : default_root;
    }
    if (app.count("--log-level") == 0) {
        auto it = environment.find("HAKO_LOG");
        if (it != environment.end() && !it->second.empty()) {
            if (std::find(log_levels.begin(), log_levels.end(), it->second) == log_levels.end()) {
                return Error::usage("HAKO_LOG=" + it->second + ": not one of debug, info, warn, error");
            }
            options.log_level = it->second;
        }
    }
    return ok();
}

void setup_logging(const GlobalOptions& options) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
        options.ansi == "never"    ? spdlog::color_mode::never
        : options.ansi == "always" ? spdlog::color_mode::always
                                   : spdlog::color_mode::automatic);
    auto logger = std::make_shared<spdlog::logger>("hako", sink);
    logger->set_pattern("hako: %^%l%$: %v");
    logger->set_level(spdlog::level::from_str(options.log_level));
    spdlog::set_default_logger(std::move(logger));
}

project::LoadOptions load_options(const Context& ctx) {
    const GlobalOptions& global = ctx.global;
    project::LoadOptions options;
    options.files = global.files;
    options.project_name = global.project_name;
    if (global.project_directory) options.project_directory = std::filesystem::path(*global.project_directory);
    options.profiles = global.profiles;
    options.env_files = global.env_files;
    options.os_environment = ctx.environment;
    options.working_directory = ctx.working_directory;
    // The loader may ask more than once (e.g. config --variables reads the text
    // again); stdin can only be read once, so the first read is kept.
    auto cache = std::make_shared<std::optional<Result<std::string>>>();
    options.read_stdin = [cache]() -> Result<std::string> {
        if (!cache->has_value()) *cache = read_all_stdin(size_t{64} << 20);
        return **cache;
    };
    return options;
}

}  // namespace hako::cli
