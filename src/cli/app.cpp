// This file implements hako's dispatcher: it builds the CLI11 app (global flags
// plus every verb and noun), parses, runs the chosen verb, and reduces CLI11's
// exceptions to one-line usage errors with exit status 2.
#include "src/cli/app.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "src/cli/cli_docs.h"
#include "src/cli/global_options.h"

extern char** environ;

namespace hako::cli {

namespace {

// Thrown from the top-level callback when an environment fallback is invalid,
// so that it is reported like a bad flag.
struct EnvironmentUsageError {
    Error error;
};

std::string one_line(std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    for (size_t i; (i = text.find('\n')) != std::string::npos;) text.replace(i, 1, "; ");
    return text;
}

// "hako config" for the deepest verb the user chose.
std::string command_path(const CLI::App& app) {
    std::string path = "hako";
    const CLI::App* current = &app;
    while (true) {
        auto chosen = current->get_subcommands();
        if (chosen.empty()) break;
        current = chosen.front();
        path += " " + current->get_name();
    }
    return path;
}

// CLI11's exception, reworded as hako's one-line usage message (without the
// "hako: " prefix and the help hint).
std::string usage_message(const CLI::ParseError& e, const CLI::App& app) {
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        auto extras = app.remaining(true);  // a verb's unknown flags fall through to here
        if (!extras.empty()) {
            std::string first = extras.front();
            if (first.size() > 1 && first[0] == '-') return "unknown flag " + first.substr(0, first.find('='));
            if (app.get_subcommands().empty()) return "unknown command " + first;
            return command_path(app).substr(5) + ": unexpected argument " + first;
        }
    }
    return one_line(e.what());
}

}  // namespace

std::unique_ptr<CLI::App> make_app(Context& ctx) {
    auto app = std::make_unique<CLI::App>("Run Compose projects with hako's embedded container engine", "hako");
    app->footer("Run 'hako COMMAND --help' for more information on a command.");
    app->set_version_flag("--version", version_text());
    app->require_subcommand(0, 1);
    app->get_formatter()->column_width(32);
    add_global_options(*app, ctx.global);  // before the verbs: they inherit fallthrough
    CLI::App* root = app.get();
    // Runs after every flag is parsed and before the verb's callback.
    app->parse_complete_callback([root, &ctx] {
        auto applied = apply_environment(*root, ctx.global, ctx.environment);
        if (!applied) throw EnvironmentUsageError{std::move(applied).error()};
        setup_logging(ctx.global);
    });
    add_project_commands(*app, ctx);
    add_image_commands(*app, ctx);
    add_container_commands(*app, ctx);
    add_runtime_commands(*app, ctx);
    add_network_commands(*app, ctx);
    add_volume_commands(*app, ctx);
    add_system_commands(*app, ctx);
    add_login_commands(*app, ctx);
    add_compose_lifecycle_commands(*app, ctx);
    add_compose_view_commands(*app, ctx);
    add_compose_build_commands(*app, ctx);
    add_compose_pull_commands(*app, ctx);
    add_version_command(*app, ctx);
    add_docs_command(*app, ctx);  // hidden: hako __docs markdown|man|bash|zsh|json
    return app;
}

int run(const std::vector<std::string>& args, Context& ctx, std::ostream& out, std::ostream& err) {
    std::unique_ptr<CLI::App> app = make_app(ctx);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
    try {
        app->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        out << app->help();
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        out << app->help("", CLI::AppFormatMode::All);
        return 0;
    } catch (const CLI::CallForVersion& e) {
        out << e.what() << '\n';
        return 0;
    } catch (const CLI::ParseError& e) {
        err << "hako: " << usage_message(e, *app) << " (see " << command_path(*app) << " --help)" << std::endl;
        return static_cast<int>(ExitCode::Usage);
    } catch (const EnvironmentUsageError& e) {
        err << "hako: " << one_line(e.error.message) << std::endl;
        return static_cast<int>(ExitCode::Usage);
    } catch (const std::exception& e) {
        err << "hako: internal error: " << one_line(e.what()) << std::endl;
        return static_cast<int>(ExitCode::Failure);
    }
    if (app->get_subcommands().empty()) {  // bare "hako": show what it can do
        out << app->help();
        return 0;
    }
    return ctx.exit_status;
}

int run(int argc, char** argv) {
    Context ctx;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        size_t equals = text.find('=');
        if (equals == std::string_view::npos) continue;
        ctx.environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    std::error_code ec;
    ctx.working_directory = std::filesystem::current_path(ec);
    if (ec) {
        std::cerr << "hako: cannot read the working folder: " << ec.message() << std::endl;
        return static_cast<int>(ExitCode::Failure);
    }
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return run(args, ctx, std::cout, std::cerr);
}

}  // namespace hako::cli
