// This file declares the command-line entry point: parse global flags, pick the
// verb, run it, and turn its Result into an exit status.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "src/cli/context.h"

namespace hako::cli {

// The whole program: reads the process environment and working folder, then
// runs argv[1…].
int run(int argc, char** argv);

// Parses `args` (without the program name) against every registered verb and
// runs the chosen one. Help and version go to `out`; a usage mistake is one
// line on `err` ("hako: unknown flag --fo (see hako --help)") and status 2.
int run(const std::vector<std::string>& args, Context& ctx, std::ostream& out, std::ostream& err);

// The top-level CLI11 app with the global flags and every verb registered;
// verbs read and write `ctx`, which must outlive the app.
std::unique_ptr<CLI::App> make_app(Context& ctx);

// Keeps `object` alive until the process exits and never destroys it: a
// verb hands over what it built (a loaded project: 500 services are some
// 100,000 small allocations) instead of freeing it piece by piece just before
// the process ends.
void keep_until_exit(std::shared_ptr<const void> object);

// `hako version` (and the --version flag's text).
void add_version_command(CLI::App& app, Context& ctx);
std::string version_text();

}  // namespace hako::cli
