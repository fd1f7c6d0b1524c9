// This file declares hako's global flags: their registration on the top-level
// CLI11 app, the environment variables that stand in for them (HAKO_ROOT,
// HAKO_LOG), the logging setup they choose, and how they become the loader's
// LoadOptions.
#pragma once

#include <map>
#include <string>

#include "engine/sys/error.h"
#include "src/cli/context.h"
#include "src/project/project.h"

namespace hako::cli {

inline constexpr const char* default_root = "/var/lib/hako";

// Registers -f/--file, -p/--project-name, --project-directory, --profile,
// --env-file, --root, --log-level, --ansi and --progress on `app`, writing into
// `options`. Subcommands created after this call fall through to these flags,
// so they also work after the verb.
void add_global_options(CLI::App& app, GlobalOptions& options);

// Fills what the command line left unset from the environment: --root from
// HAKO_ROOT (else /var/lib/hako), --log-level from HAKO_LOG. A bad HAKO_LOG value
// is a usage error.
Result<void> apply_environment(const CLI::App& app, GlobalOptions& options,
                               const std::map<std::string, std::string>& environment);

// Sends spdlog to stderr at options.log_level ("hako: warning: …").
void setup_logging(const GlobalOptions& options);

// The loader's options for this invocation: files, name, folder, profiles and
// env files from the flags; the process environment and working folder from
// the context (COMPOSE_* variables are read by project::load itself). "-f -"
// reads stdin once; later reads return the same text.
project::LoadOptions load_options(const Context& ctx);

}  // namespace hako::cli
