// `hako version`: prints hako's version, as text or JSON.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "src/cli/app.h"

namespace hako::cli {

std::string version_text() { return std::string("hako version ") + HAKO_VERSION; }

void add_version_command(CLI::App& app, Context& ctx) {
    struct Flags {
        std::string format = "pretty";
        bool short_form = false;
    };
    auto flags = std::make_shared<Flags>();
    CLI::App* cmd = app.add_subcommand("version", "Show the hako version");
    cmd->add_option("-f,--format", flags->format, "Output format: pretty, json")
        ->check(CLI::IsMember({"pretty", "json"}));
    cmd->add_flag("--short", flags->short_form, "Print only the version number");
    cmd->callback([flags, &ctx] {
        if (flags->short_form) {
            std::cout << HAKO_VERSION << '\n';
        } else if (flags->format == "json") {
            std::cout << nlohmann::json{{"version", HAKO_VERSION}}.dump() << '\n';
        } else {
            std::cout << version_text() << '\n';
        }
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
